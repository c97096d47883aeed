// The public status statements and the state map that commits to them
// (doc/state_map_format.md). For every QR token the map holds, under
// SHA-256(token), the SHA-256 of the token's statement: what the public may
// know of that certificate version, as of the certificate's last record.
// The certificates projection keeps the map in kCfStateMap, updated once
// per sequencer group; each checkpoint names the map root after its tree
// size in a "map-root" extension line.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "ledger/domain/record.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/state_map.h"
#include "ledger/store/batch.h"
#include "ledger/store/event_store.h"
#include "projections/cert_view.h"

namespace certledger::projections {

inline constexpr const char* kCfStateMap = "p_statemap";  // map nodes; roots per tree size
inline constexpr int kStatementFormat = 1;

// The statement of one version's token: canonical JSON (members in
// lexicographic order, no spaces, UTF-8). No unmasked personal data.
std::string public_statement(const CertView& v, uint32_t version);
// What the map holds for a statement.
merkle::MapUpdate statement_entry(std::string_view token, std::string_view statement);
// Every version's token and statement after the view's last record.
std::vector<merkle::MapUpdate> statement_entries(const CertView& v);

// The map's bucket entries (merkle::BucketMap): 'B' be16(bucket) -> the
// bucket's leaves, read and written through a sequencer or replay batch.
std::string map_bucket_key(uint32_t bucket);
// Each bucket's subtree root and leaf count: 'H' be16(bucket) ->
// root || be32(count), written with its leaves.
std::string map_bucket_root_key(uint32_t bucket);
class BatchBuckets : public merkle::BucketMap::Buckets {
 public:
  explicit BatchBuckets(store::BatchWriter& w) : w_(w) {}
  std::optional<std::string> get(uint32_t b) const override { return w_.get(kCfStateMap, map_bucket_key(b)); }
  void put(uint32_t b, std::string_view v) override { w_.put(kCfStateMap, map_bucket_key(b), v); }
  void put_root(uint32_t b, const Hash256& root, uint32_t count) override;

 private:
  store::BatchWriter& w_;
};
// The same, read-only, as a snapshot of the store holds them (proofs).
class SnapshotBuckets : public merkle::BucketMap::Buckets {
 public:
  explicit SnapshotBuckets(const store::StoreSnapshot& s) : s_(s) {}
  std::optional<std::string> get(uint32_t b) const override { return s_.get(kCfStateMap, map_bucket_key(b)); }
  void put(uint32_t, std::string_view) override {}  // read-only

 private:
  const store::StoreSnapshot& s_;
};
// Every stored bucket root, from a scan of the family (the store's or a
// snapshot's scan_prefix).
using BucketRoots = std::vector<std::pair<uint32_t, merkle::BucketMap::BucketRoot>>;
using BucketScan = std::function<Status(std::string_view cf, std::string_view prefix,
                                        const std::function<bool(std::string_view, std::string_view)>& fn)>;
Result<BucketRoots> read_bucket_roots(const BucketScan& scan);
// Loads the tree above the buckets from the stored bucket roots.
Status load_bucket_map(const store::EventStore& s, merkle::BucketMap& map);

// The map's latest root and the tree size it follows, in one value
// (be64(size) || root || format byte) under 0xfe "root", written with each
// group (and replay stage) so that a reader gets both at once. A map stored
// in another format (or none) has no root at any size: the projection is
// then rebuilt at open (Projection::complete).
inline constexpr std::string_view kMapRootKey =
    "\xfe"
    "root";
inline constexpr unsigned char kMapFormat = 2;  // 2: bucket roots stored beside the buckets
std::string encode_map_root(uint64_t size, const Hash256& root);
std::optional<std::pair<uint64_t, Hash256>> decode_map_root(std::string_view value);
// The root after `size`, if that is where the map is.
std::optional<Hash256> map_root_at(const store::EventStore& s, uint64_t size);
// The checkpoint extension line for the map root after `size`:
// "map-root <base64 root>"; nullopt if the map is not at that size.
std::optional<std::string> map_root_line(const store::EventStore& s, uint64_t size);
// The checkpoint extension lines the projections contribute
// (LedgerOptions::checkpoint_extensions): the map root.
std::vector<std::string> checkpoint_extensions(const store::EventStore& s, uint64_t size);
// The map root a checkpoint names in its "map-root" line, if any.
std::optional<Hash256> map_root_of(const merkle::Checkpoint& c);

// Recomputes the state map from records that passed the log's audit
// (Auditor), folding every certificate in memory, and compares its root
// with each checkpoint's map-root line when the records reach its size.
// It builds the tree with the plain node map (merkle::map_update), not the
// ledger's bucketed one, so the two implementations check each other.
class MapAuditor {
 public:
  // A checkpoint note (its signature is the log auditor's to check); one
  // without a map-root line is skipped. Add them before their records.
  Status expect_checkpoint(uint64_t size, std::string_view note);
  // The next record, in position order.
  Status add(const domain::Record& r);
  uint64_t checked() const { return checked_; }
  // How many expected roots lie beyond the last record added.
  size_t unreached() const { return expected_.size(); }

 private:
  std::map<uint64_t, Hash256> expected_;
  std::unordered_map<std::string, CertView> views_;
  std::vector<merkle::MapUpdate> queued_;
  struct Nodes : merkle::MapNodes {
    std::unordered_map<std::string, std::string> m;
    std::optional<std::string> get(std::string_view k) const override;
    void put(std::string_view k, std::string_view v) override { m[std::string(k)] = std::string(v); }
  } nodes_;
  uint64_t checked_ = 0;
};

// Recomputes the state map from the records alone (folding every
// certificate in memory) and compares its root with each stored
// checkpoint's map-root line. Returns how many roots it checked; an error
// (corruption) names the first checkpoint size whose root differs. The
// checkpoints' signatures are audit_store's to check.
Result<uint64_t> audit_state_map(const store::EventStore& store,
                                 const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace certledger::projections
