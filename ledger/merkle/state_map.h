// The state map: a sparse Merkle tree over 256-bit keys in which every
// subtree holding one leaf is that leaf, and every subtree holding none is
// the empty hash (32 zero bytes). The root commits to a set of
// (key, value hash) pairs; a proof shows a key's value or that it has none,
// in about log2(N) hashes. doc/state_map_format.md is the normative
// description; Diem's sparse Merkle tree uses the same shape.
//
//   leaf      SHA-256(0x00 || key || value_hash)
//   interior  SHA-256(0x01 || left || right)
//   empty     32 zero bytes
//
// Bit i of a key (i = 0 the most significant bit of byte 0) chooses the
// side at depth i: 0 left, 1 right. Keys are never removed (a token's
// statement changes, it does not go away).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::merkle {

inline constexpr Hash256 kEmptyMapHash{};
Hash256 map_leaf_hash(const Hash256& key, const Hash256& value_hash);
Hash256 map_interior_hash(const Hash256& left, const Hash256& right);
bool key_bit(const Hash256& key, unsigned i);

// Where the tree's nodes live: get and put by node key (map_node_key).
// The store implements it over a WriteBatch; tests and the audit in memory.
class MapNodes {
 public:
  virtual ~MapNodes() = default;
  virtual std::optional<std::string> get(std::string_view node_key) const = 0;
  virtual void put(std::string_view node_key, std::string_view value) = 0;
};

// The node key of the subtree at `depth` (0..256) on key's path: depth as
// big-endian uint16, then the first ceil(depth / 8) bytes of the key with
// the bits past depth cleared.
std::string map_node_key(unsigned depth, const Hash256& key);

struct MapUpdate {
  Hash256 key;
  Hash256 value_hash;
};

// Sets each key's value hash (a later update of the same key wins) and
// returns the new root. Touches only the paths of the updated keys, each
// shared node once per call.
Hash256 map_update(MapNodes& nodes, std::vector<MapUpdate> updates);
// The root as stored (kEmptyMapHash for an empty map).
Hash256 map_root(const MapNodes& nodes);

// A proof for one key: the sibling hashes from the root down to where the
// key's path ends, and what is there: the key's own leaf (inclusion),
// another key's leaf or nothing (non-inclusion).
struct MapProof {
  std::vector<Hash256> siblings;  // siblings[i] is the sibling at depth i + 1's parent i
  struct Leaf {
    Hash256 key;
    Hash256 value_hash;
  };
  std::optional<Leaf> leaf;

  // Binary form (doc/state_map_format.md): uint16 count, a bitmap of the
  // non-empty siblings, those siblings, then 0x00 or 0x01 key value_hash.
  std::string encode() const;
  static Result<MapProof> decode(std::string_view bytes);
};

MapProof map_prove(const MapNodes& nodes, const Hash256& key);

// Checks a proof against a root: value_hash set, that the key holds it;
// nullopt, that the key is absent. Errors say what failed.
Status map_verify(const Hash256& root, const Hash256& key, const std::optional<Hash256>& value_hash,
                  const MapProof& proof);

// The state map as the ledger keeps it: the leaves in 2^16 buckets by their
// first 16 key bits, one stored entry per bucket (the bucket's leaves,
// sorted), and the tree above the buckets in memory (about 4.7 MB). An
// update rewrites one entry per touched bucket and hashes its path in
// memory, so the map costs about one small write per changed token. The
// tree and its proofs are the same as above (map_update, map_prove): only
// where the nodes live differs.
class BucketMap {
 public:
  static constexpr unsigned kBucketBits = 16;
  static constexpr uint32_t kBuckets = 1u << kBucketBits;
  // Where the bucket entries live: 64 bytes per leaf (key || value_hash),
  // sorted by key.
  class Buckets {
   public:
    virtual ~Buckets() = default;
    virtual std::optional<std::string> get(uint32_t bucket) const = 0;
    virtual void put(uint32_t bucket, std::string_view leaves) = 0;
    // The bucket's subtree root and leaf count after an update, beside its
    // leaves, for readers that rebuild the tree above without hashing
    // every leaf (BucketMap::set_roots).
    virtual void put_root(uint32_t /*bucket*/, const Hash256& /*root*/, uint32_t /*count*/) {}
  };
  static uint32_t bucket_of(const Hash256& key) { return (uint32_t(key[0]) << 8) | key[1]; }

  BucketMap();
  // Sets a bucket's leaves as stored (loading at open); the tree above is
  // recomputed by finish_load().
  Status load_bucket(uint32_t bucket, std::string_view leaves);
  void finish_load();
  void clear();
  // A bucket's subtree root and leaf count as this tree holds them.
  struct BucketRoot {
    Hash256 root{};
    uint32_t count = 0;
    bool operator==(const BucketRoot&) const = default;
  };
  BucketRoot bucket_root(uint32_t bucket) const { return {hash_[kBucketBits][bucket], count_[kBucketBits][bucket]}; }
  // Sets buckets' roots (as put_root recorded them) and rehashes the tree
  // above them: how a reader's copy follows the writer's.
  void set_roots(const std::vector<std::pair<uint32_t, BucketRoot>>& roots);

  // As map_update, with the bucket entries in `buckets`.
  Hash256 update(Buckets& buckets, std::vector<MapUpdate> updates);
  Hash256 root() const;
  uint64_t size() const { return count_[0][0]; }
  // As map_prove. REQUIRES: buckets and this tree describe the same map.
  MapProof prove(const Buckets& buckets, const Hash256& key) const;

 private:
  void set_bucket(uint32_t bucket, const Hash256& hash, uint32_t count);
  void recompute_above(const std::vector<uint32_t>& buckets);
  // hash_[d][i], count_[d][i]: the subtree at depth d with prefix i.
  std::vector<std::vector<Hash256>> hash_;
  std::vector<std::vector<uint32_t>> count_;
};

}  // namespace certledger::merkle
