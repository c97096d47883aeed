// The sequencer's tree state: checkpoints of the tree it extends, and the
// recovery of that state after the store refused a write or disagreed at
// open. Part of class Sequencer (sequencer.h).
#include "ledger/merkle/checkpoint.h"
#include "ledger/store/keys.h"
#include "ledger/store/raw.h"
#include "ledger/store/sequencer.h"
#include "ledger/util/encoding.h"

namespace certledger::store {

Status Sequencer::write_checkpoint_locked(uint64_t size, const Hash256& root) {
  merkle::Checkpoint c{options_.origin, size, root, {}};
  if (options_.checkpoint_extensions) c.extensions = options_.checkpoint_extensions(size);
  c.extensions.push_back("time " + std::to_string(options_.clock() / 1000));
  CL_ASSIGN(std::string note, merkle::sign_checkpoint(c, options_.origin, *options_.log_key));
  CL_TRY(store_.put_checkpoint(size, note));
  last_checkpoint_size_ = size;
  last_checkpoint_time_ = options_.clock();
  ++stats_.checkpoints;
  return {};
}

void Sequencer::maybe_checkpoint() {
  if (!options_.log_key) return;
  std::lock_guard lock(state_mu_);
  const uint64_t size = range_.size();
  if (!stats_.healthy || size == 0) return;
  const int64_t since = options_.clock() - last_checkpoint_time_;
  if (size == last_checkpoint_size_) {
    // No news: the same size again with a new time, now and then.
    const int max = options_.policy.checkpoint_max_interval_ms;
    if (max > 0 && since >= max) (void)write_checkpoint_locked(size, range_.root());
    return;
  }
  const bool by_count = size - last_checkpoint_size_ >= options_.policy.checkpoint_every;
  const bool by_time = since >= options_.policy.checkpoint_interval_ms;
  if (by_count || by_time) (void)write_checkpoint_locked(size, range_.root());
}

Status Sequencer::checkpoint_now() {
  if (!options_.log_key) return make_error(Errc::invalid_argument, "no log key");
  // Wait for the writer to be idle on its queue: take state_mu_ only.
  std::lock_guard lock(state_mu_);
  if (range_.size() == last_checkpoint_size_) return {};
  return write_checkpoint_locked(range_.size(), range_.root());
}

bool Sequencer::recover() {
  // After a failed commit the writer stays closed until a restart: RocksDB
  // 7.8 keeps the WAL writer that saw the error, and the next write after a
  // successful Resume() trips its "previous error" assertion (an abort in
  // Debian's build). A restart recovers from the WAL and a fresh log file.
  if (write_failed_) {
    last_recovery_error_ = "a write failed (" + write_error_ + "); restart ledgerd once the cause is fixed";
    return false;
  }
  // Otherwise (the stored Merkle state disagreed at open) try again, and
  // reload what is durable before accepting anything.
  auto st = Raw::db(store_)->Resume();
  auto last = store_.get(kCfMeta, kMetaLastPosition);
  auto enc = store_.get(kCfMeta, kMetaCompactRange);
  uint64_t last_pos = last && last->size() == 8 ? get_be64(*last) : 0;
  auto r = enc ? merkle::CompactRange::decode(*enc) : Result<merkle::CompactRange>(merkle::CompactRange());
  if (!st.ok() || !r.ok() || r->size() != last_pos) {
    last_recovery_error_ = st.ok() ? std::string("Merkle state mismatch") : st.ToString();
    return false;
  }
  std::lock_guard lock(state_mu_);
  range_ = *r;
  store_.publish_last_position(last_pos);
  stats_.healthy = true;
  return true;
}

}  // namespace certledger::store
