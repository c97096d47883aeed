#include "ledger/witness.h"

#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"

namespace certledger {

Witness::Witness(store::EventStore& store, std::string name, std::shared_ptr<const crypto::PrivateKey> key,
                 std::vector<WitnessedLog> logs, Clock clock)
    : store_(store), name_(std::move(name)), key_(std::move(key)), logs_(std::move(logs)), clock_(std::move(clock)) {}

std::string Witness::verifier_key() const { return merkle::cosigner_verifier_key(name_, key_->public_key()); }

Witness::Answer Witness::refuse(int status, std::string why) const { return {status, std::move(why) + "\n"}; }

void Witness::keep_evidence(const std::string& origin, const std::string& held, std::string_view offered,
                            const char* what, std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
  const std::string evidence = std::string(what) + "\n\n" + held + "\n" + std::string(offered);
  auto st = store_.add_witness_evidence(origin, evidence);
  if (on_fork)
    on_fork(origin + " showed " + what +
            (st.ok() ? ": both signed checkpoints kept as evidence (ledgerctl witness-evidence)"
                     : ": the evidence could not be stored: " + st.error().message));
}

Witness::Answer Witness::add_checkpoint(std::string_view request) {
  // old <size>\n, up to 63 proof lines, an empty line, the checkpoint.
  const size_t blank = request.find("\n\n");
  if (!request.starts_with("old ") || blank == std::string_view::npos)
    return refuse(400, "expected \"old <size>\", proof lines, an empty line and a checkpoint");
  const std::vector<std::string_view> lines = split_lines(request.substr(0, blank + 1));
  const std::string_view old_text = lines[0].substr(4);
  auto old_size = parse_decimal(old_text, 20);
  if (!old_size || (old_text.size() > 1 && old_text[0] == '0')) return refuse(400, "bad old size");
  if (lines.size() - 1 > 63) return refuse(400, "more than 63 consistency proof lines");
  std::vector<Hash256> proof;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto raw = base64_decode(lines[i]);
    auto h = raw ? hash_from_bytes(*raw) : std::nullopt;
    if (!h) return refuse(400, "a consistency proof line is not a base64 SHA-256 hash");
    proof.push_back(*h);
  }
  const std::string_view note = request.substr(blank + 2);
  auto body = merkle::parse_checkpoint_body(note);
  if (!body.ok()) return refuse(400, "checkpoint: " + body.error().message);
  const WitnessedLog* log = nullptr;
  for (const auto& l : logs_)
    if (l.origin == body->origin) log = &l;
  if (!log) return refuse(404, "unknown log origin");
  auto c = merkle::open_checkpoint(note, log->origin, log->key);
  if (!c.ok()) return refuse(403, "no signature by the log's key verifies");
  if (*old_size > c->size) return refuse(400, "old size is larger than the checkpoint's");
  if (log->local_root)
    if (auto mine = log->local_root(c->size); mine && *mine != c->root) {
      auto stored = log->local_checkpoint ? log->local_checkpoint(c->size) : std::nullopt;
      if (stored) {
        keep_evidence(log->origin, *stored, note, "a split view: two different trees of the same size", split_views_);
      } else {
        inconsistent_.fetch_add(1, std::memory_order_relaxed);
        if (on_fork)
          on_fork(log->origin + " offered a checkpoint of size " + std::to_string(c->size) +
                  " that does not match the records this replica verified");
      }
      return refuse(409, "the checkpoint does not match the records this replica verified");
    }

  std::lock_guard lock(mu_);
  auto held = store_.witnessed(log->origin);
  std::optional<merkle::Checkpoint> h;
  if (held) {
    auto parsed = merkle::parse_checkpoint_body(*held);
    if (!parsed.ok()) return refuse(500, "the held checkpoint does not parse");
    h = *parsed;
  }
  const uint64_t held_size = h ? h->size : 0;
  if (*old_size != held_size) return {409, std::to_string(held_size) + "\n", "text/x.tlog.size"};
  if (h && c->size == held_size && c->root != h->root) {
    keep_evidence(log->origin, *held, note, "a split view: two different trees of the same size", split_views_);
    return refuse(409, "a different tree of the size this witness holds");
  }
  if (*old_size == 0 ? !proof.empty() : !merkle::verify_consistency(held_size, c->size, proof, h->root, c->root).ok()) {
    if (h)
      keep_evidence(log->origin, *held, note,
                    "a checkpoint whose consistency proof from the one cosigned does not verify", inconsistent_);
    return refuse(422, "the consistency proof does not verify");
  }
  if (auto st = store_.put_witnessed(log->origin, note); !st.ok()) return refuse(503, st.error().message);
  const std::string checkpoint_body = std::string(note.substr(0, note.find("\n\n") + 1));
  auto line = merkle::cosign(checkpoint_body, name_, *key_, static_cast<uint64_t>(clock_() / 1000));
  if (!line.ok()) return refuse(500, line.error().message);
  return {200, *line};
}

}  // namespace certledger
