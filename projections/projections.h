// Projections as batch contributors: the sequencer applies them inside the
// WriteBatch of the event they follow, so reads after an acknowledged
// command see it, and a crash never leaves them behind or ahead of the log.
// Each projection owns its column families and stores the position it has
// applied under kAppliedKey in its first family. Rebuild and catch-up replay
// the log through exactly the same apply().
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ledger/store/batch.h"
#include "ledger/store/event_store.h"
#include "projections/state_map.h"

namespace certledger::projections {

inline constexpr const char* kCfCerts = "p_certs";      // certificate id -> CertView
inline constexpr const char* kCfTokens = "p_tokens";    // QR token -> id + be32(version)
inline constexpr const char* kCfNumbers = "p_numbers";  // kind 0 number 0 authority -> id
inline constexpr const char* kCfHolders = "p_holders";  // sha256(holder) id -> authority
inline constexpr const char* kCfStats = "p_stats";      // counters (doc/storage_format.md)
inline constexpr const char* kCfReports = "p_reports";  // report code -> report view (JSON)
// be64 position of a certificate event -> the <prefix>.status message for it
// (status_message): the Kafka relay reads it in log order instead of
// folding each certificate's state again.
inline constexpr const char* kCfStatusFeed = "p_status";
inline constexpr std::string_view kAppliedKey =
    "\xff"
    "applied";  // be64 position

class Projection : public store::BatchContributor {
 public:
  uint64_t applied_position(const store::EventStore& s) const;
  // The applied position is written once per group (and per replay
  // stage), not per event; a projection that batches more work does it
  // here first.
  void before_commit(store::BatchWriter& w, uint64_t last_position) override { mark_applied(w, last_position); }
  void mark_applied(store::BatchWriter& w, uint64_t position) const;
  // Drops in-memory state: the families were reset or replayed under it.
  virtual void forget() {}
  // False when the stored families miss something the applied position
  // promises (a family added by a newer version): catch_up rebuilds it.
  virtual bool complete(const store::EventStore& s) const {
    (void)s;
    return true;
  }
};

// Certificate views, their indexes, the status feed, and the state map of
// their public statements (projections/state_map.h): each record queues its
// certificate's statements, each group (or replay stage) updates the map
// once and records its root after the group's last position.
class CertificatesProjection : public Projection {
 public:
  std::string name() const override { return "certificates"; }
  std::vector<std::string> column_families() const override {
    return {kCfCerts, kCfTokens, kCfNumbers, kCfHolders, kCfStatusFeed, kCfStateMap};
  }
  Status apply(const domain::Record& r, store::BatchWriter& w) override;
  void begin_batch() override;
  void event_rolled_back() override { queued_.resize(queued_before_); }
  void before_commit(store::BatchWriter& w, uint64_t last_position) override;
  void end_batch(bool committed) override;
  void forget() override;
  // The state map has a root at the applied position.
  bool complete(const store::EventStore& s) const override;

 private:
  std::vector<merkle::MapUpdate> queued_;  // statements of this group, in order
  size_t queued_before_ = 0;               // queued_.size() before the last apply
  // The map's tree above its buckets, as of the last group built. Loaded
  // from the store by the first apply() when no group is in flight: after
  // open, and after a group that updated it was not written.
  merkle::BucketMap map_;
  bool map_loaded_ = false;
  std::deque<bool> groups_;  // per group built and not yet ended: did it update the map
};

class StatisticsProjection : public Projection {
 public:
  std::string name() const override { return "statistics"; }
  std::vector<std::string> column_families() const override { return {kCfStats}; }
  Status apply(const domain::Record& r, store::BatchWriter& w) override;
};

// Test reports and their anti-counterfeit codes.
class ReportsProjection : public Projection {
 public:
  std::string name() const override { return "reports"; }
  std::vector<std::string> column_families() const override { return {kCfReports}; }
  Status apply(const domain::Record& r, store::BatchWriter& w) override;
};

// The standard set, in apply order. Owned by the caller; pass raw pointers
// to LedgerOptions::contributors.
std::vector<std::unique_ptr<Projection>> standard_projections();
std::vector<store::BatchContributor*> as_contributors(const std::vector<std::unique_ptr<Projection>>& p);

// The holder index key part: SHA-256 of the holder's 统一社会信用代码 or 身份证号,
// so the stored index does not list people's numbers.
std::string holder_key(std::string_view holder_id);
// The holder index's name of a sealed holder (format 2): "ref:" + reference.
std::string sealed_holder(std::string_view ref);

using Progress = std::function<void(uint64_t done, uint64_t total)>;
// Replays stage their writes in memory and write a stage (atomically, with
// the applied positions) once it holds this many bytes, while the next
// one fills.
inline constexpr size_t kReplayStageBytes = 128 << 20;
// Replays positions (applied, last] into the projections (no reset).
// REQUIRES: no concurrent writer.
Status catch_up(store::EventStore& store, const std::vector<Projection*>& projections, const Progress& progress = {},
                size_t stage_bytes = kReplayStageBytes);
// Drops the projections' families and replays the whole log.
// REQUIRES: no concurrent writer or reader of these families.
Status rebuild(store::EventStore& store, const std::vector<Projection*>& projections, const Progress& progress = {},
               size_t stage_bytes = kReplayStageBytes);

}  // namespace certledger::projections
