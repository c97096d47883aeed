// The state map (ledger/merkle/state_map.h) against a reference written
// from the definition alone (the root of a sorted key set, recursively),
// its proofs both ways, and every family of broken proof, each of which
// must be rejected.
#include "ledger/merkle/state_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include "ledger/util/encoding.h"

namespace certledger::merkle {
namespace {

class MemoryNodes : public MapNodes {
 public:
  std::optional<std::string> get(std::string_view k) const override {
    auto it = nodes.find(std::string(k));
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view k, std::string_view v) override { nodes[std::string(k)] = std::string(v); }
  std::unordered_map<std::string, std::string> nodes;
};

// The definition: empty -> zeros, one leaf -> its leaf hash, else the
// interior hash of the two halves split on the bit at this depth.
Hash256 reference_root(const std::vector<std::pair<Hash256, Hash256>>& items, unsigned depth = 0) {
  if (items.empty()) return kEmptyMapHash;
  if (items.size() == 1) return map_leaf_hash(items[0].first, items[0].second);
  std::vector<std::pair<Hash256, Hash256>> l, r;
  for (const auto& it : items) (key_bit(it.first, depth) ? r : l).push_back(it);
  return map_interior_hash(reference_root(l, depth + 1), reference_root(r, depth + 1));
}

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& b : h) b = static_cast<unsigned char>(rng());
  return h;
}

Hash256 hex(std::string_view s) {
  Hash256 h{};
  auto b = *hex_decode(s);
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

TEST(StateMap, RootMatchesTheDefinitionThroughBatchesAndOverwrites) {
  std::mt19937_64 rng(7);
  MemoryNodes nodes;
  std::map<Hash256, Hash256> truth;
  std::vector<Hash256> keys;
  EXPECT_EQ(map_root(nodes), kEmptyMapHash);
  for (int batch = 0; batch < 120; ++batch) {
    std::vector<MapUpdate> ups;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      Hash256 k = (!keys.empty() && rng() % 4 == 0) ? keys[rng() % keys.size()] : random_hash(rng);
      if (rng() % 10 == 0 && !keys.empty()) {  // a close neighbour: shares many leading bits
        k = keys[rng() % keys.size()];
        k[31 - rng() % 4] ^= static_cast<unsigned char>(1u << (rng() % 8));
      }
      const Hash256 v = random_hash(rng);
      ups.push_back({k, v});
      if (!truth.count(k)) keys.push_back(k);
      truth[k] = v;
    }
    const Hash256 root = map_update(nodes, ups);
    ASSERT_EQ(root, reference_root({truth.begin(), truth.end()})) << "batch " << batch;
    ASSERT_EQ(map_root(nodes), root);
  }
  EXPECT_GT(truth.size(), 1500u);
}

TEST(StateMap, TheRootDependsOnTheSetNotOnTheOrder) {
  std::mt19937_64 rng(8);
  std::vector<MapUpdate> all;
  for (int i = 0; i < 500; ++i) all.push_back({random_hash(rng), random_hash(rng)});
  MemoryNodes one_batch, one_by_one;
  const Hash256 a = map_update(one_batch, all);
  std::shuffle(all.begin(), all.end(), rng);
  Hash256 b{};
  for (const auto& u : all) b = map_update(one_by_one, {u});
  EXPECT_EQ(a, b);
}

TEST(StateMap, KeysThatDifferOnlyInTheLastBit) {
  MemoryNodes nodes;
  Hash256 k1{}, k2{};
  k2[31] = 1;
  const Hash256 v = hex("aa00000000000000000000000000000000000000000000000000000000000000");
  const Hash256 root = map_update(nodes, {{k1, v}, {k2, v}});
  EXPECT_EQ(root, reference_root({{k1, v}, {k2, v}}));
  auto p = map_prove(nodes, k2);
  EXPECT_EQ(p.siblings.size(), 256u);
  EXPECT_TRUE(map_verify(root, k2, v, p).ok());
  auto decoded = MapProof::decode(p.encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(map_verify(root, k2, v, *decoded).ok());
}

// Fixed vectors, also in doc/state_map_format.md.
TEST(StateMap, PublishedVectors) {
  MemoryNodes nodes;
  EXPECT_EQ(hash_hex(map_root(nodes)), std::string(64, '0'));
  const Hash256 k1 = sha256("token-1"), k2 = sha256("token-2"), v1 = sha256("statement-1"), v2 = sha256("statement-2");
  const Hash256 one = map_update(nodes, {{k1, v1}});
  EXPECT_EQ(one, map_leaf_hash(k1, v1));
  const Hash256 two = map_update(nodes, {{k2, v2}});
  EXPECT_EQ(two, reference_root({{k1, v1}, {k2, v2}}));
  EXPECT_EQ(hash_hex(one), "fd53abee27e6d4fe69ac3fa7556a178974353c3552165e14c00d3a21aee37ac7");
  EXPECT_EQ(hash_hex(two), "eebcf2bc53bbc86b425fe773c9e8055c44130ddc3e279988dfa7331776173193");
}

struct Built {
  MemoryNodes nodes;
  std::map<Hash256, Hash256> truth;
  Hash256 root{};
};

Built build(int n, uint64_t seed) {
  Built b;
  std::mt19937_64 rng(seed);
  std::vector<MapUpdate> ups;
  for (int i = 0; i < n; ++i) {
    ups.push_back({random_hash(rng), random_hash(rng)});
    b.truth[ups.back().key] = ups.back().value_hash;
  }
  b.root = map_update(b.nodes, ups);
  return b;
}

TEST(StateMap, InclusionAndNonInclusionProofsVerify) {
  Built b = build(3000, 9);
  size_t longest = 0, largest = 0;
  for (const auto& [k, v] : b.truth) {
    auto p = map_prove(b.nodes, k);
    ASSERT_TRUE(map_verify(b.root, k, v, p).ok());
    auto d = MapProof::decode(p.encode());
    ASSERT_TRUE(d.ok()) << d.error().message;
    ASSERT_TRUE(map_verify(b.root, k, v, *d).ok());
    longest = std::max(longest, p.siblings.size());
    largest = std::max(largest, p.encode().size());
  }
  EXPECT_LT(longest, 40u);
  EXPECT_LT(largest, 40u * 32 + 80);
  std::mt19937_64 rng(10);
  int ended_at_leaf = 0;
  for (int i = 0; i < 3000; ++i) {
    const Hash256 absent = random_hash(rng);
    auto p = map_prove(b.nodes, absent);
    ASSERT_TRUE(map_verify(b.root, absent, std::nullopt, p).ok());
    ended_at_leaf += p.leaf.has_value();
  }
  EXPECT_GT(ended_at_leaf, 0);  // both kinds of non-inclusion were seen
  EXPECT_LT(ended_at_leaf, 3000);
}

TEST(StateMap, BrokenProofsAreRejected) {
  Built b = build(1000, 11);
  std::mt19937_64 rng(12);
  auto it = b.truth.begin();
  std::advance(it, 400);
  const Hash256 key = it->first, value = it->second;
  const MapProof good = map_prove(b.nodes, key);
  ASSERT_TRUE(map_verify(b.root, key, value, good).ok());

  EXPECT_FALSE(map_verify(b.root, key, sha256("another statement"), good).ok()) << "wrong value";
  EXPECT_FALSE(map_verify(b.root, key, std::nullopt, good).ok()) << "absence claimed for a present key";
  Hash256 other_root = b.root;
  other_root[0] ^= 1;
  EXPECT_FALSE(map_verify(other_root, key, value, good).ok()) << "wrong root";
  const Hash256 other_key = std::next(it)->first;
  EXPECT_FALSE(map_verify(b.root, other_key, value, good).ok()) << "proof of another key";
  for (size_t i = 0; i < good.siblings.size(); ++i) {
    MapProof p = good;
    p.siblings[i][rng() % 32] ^= static_cast<unsigned char>(1u << (rng() % 8));
    EXPECT_FALSE(map_verify(b.root, key, value, p).ok()) << "sibling " << i << " flipped";
  }
  {
    MapProof p = good;
    p.siblings.pop_back();
    EXPECT_FALSE(map_verify(b.root, key, value, p).ok()) << "a sibling dropped";
    p = good;
    p.siblings.push_back(kEmptyMapHash);
    EXPECT_FALSE(map_verify(b.root, key, value, p).ok()) << "a sibling added";
  }
  // Non-inclusion: a present key's neighbour leaf shown for it, and an
  // absent key's proof with its leaf removed or swapped.
  Hash256 absent = random_hash(rng);
  MapProof none = map_prove(b.nodes, absent);
  while (!none.leaf) {
    absent = random_hash(rng);
    none = map_prove(b.nodes, absent);
  }
  ASSERT_TRUE(map_verify(b.root, absent, std::nullopt, none).ok());
  EXPECT_FALSE(map_verify(b.root, none.leaf->key, std::nullopt, none).ok()) << "non-inclusion of the leaf's own key";
  MapProof dropped = none;
  dropped.leaf.reset();
  EXPECT_FALSE(map_verify(b.root, absent, std::nullopt, dropped).ok()) << "leaf dropped";
  MapProof moved = good;  // a real leaf elsewhere in the tree, claimed to be on this path
  EXPECT_FALSE(map_verify(b.root, absent, std::nullopt, moved).ok()) << "a leaf off the key's path";

  // The encoding: every truncation and trailing byte is refused.
  const std::string enc = good.encode();
  for (size_t n = 0; n < enc.size(); ++n) EXPECT_FALSE(MapProof::decode(enc.substr(0, n)).ok()) << n;
  EXPECT_FALSE(MapProof::decode(enc + "x").ok());
  std::string bad_flag = enc;
  bad_flag[bad_flag.size() - 65] = 2;
  EXPECT_FALSE(MapProof::decode(bad_flag).ok());
}

class MemoryBuckets : public BucketMap::Buckets {
 public:
  std::optional<std::string> get(uint32_t b) const override {
    auto it = m.find(b);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
  void put(uint32_t b, std::string_view v) override { m[b] = std::string(v); }
  std::map<uint32_t, std::string> m;
};

// The bucketed map (the ledger's) and the node map (the definition's
// shape, the audit's) give the same roots and the same proofs, also after
// the bucketed one is loaded again from its buckets.
TEST(StateMap, TheBucketedMapIsTheSameTree) {
  std::mt19937_64 rng(21);
  MemoryNodes nodes;
  MemoryBuckets buckets;
  BucketMap bucketed;
  std::vector<Hash256> keys;
  EXPECT_EQ(bucketed.root(), kEmptyMapHash);
  for (int batch = 0; batch < 60; ++batch) {
    std::vector<MapUpdate> ups;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 60); i < n; ++i) {
      Hash256 k = random_hash(rng);
      if (!keys.empty() && rng() % 4 == 0) k = keys[rng() % keys.size()];
      if (!keys.empty() && rng() % 8 == 0) {  // same bucket, close key
        k = keys[rng() % keys.size()];
        k[2 + rng() % 30] ^= static_cast<unsigned char>(1u << (rng() % 8));
      }
      keys.push_back(k);
      ups.push_back({k, random_hash(rng)});
    }
    const Hash256 a = map_update(nodes, ups);
    const Hash256 b = bucketed.update(buckets, ups);
    ASSERT_EQ(a, b) << "batch " << batch;
  }
  BucketMap reloaded;
  for (const auto& [b, leaves] : buckets.m) ASSERT_TRUE(reloaded.load_bucket(b, leaves).ok());
  reloaded.finish_load();
  EXPECT_EQ(reloaded.root(), bucketed.root());
  EXPECT_EQ(bucketed.size(), std::set<Hash256>(keys.begin(), keys.end()).size());
  for (int i = 0; i < 3000; ++i) {
    const Hash256 k = i % 2 ? keys[rng() % keys.size()] : random_hash(rng);
    const MapProof want = map_prove(nodes, k), got = reloaded.prove(buckets, k);
    ASSERT_EQ(got.encode(), want.encode()) << i;
  }
  // A map of one leaf, and one whose only two leaves share a bucket.
  MemoryNodes n1;
  MemoryBuckets b1;
  BucketMap m1;
  Hash256 k1{}, k2{};
  k2[31] = 1;
  EXPECT_EQ(m1.update(b1, {{k1, sha256("a")}}), map_update(n1, {{k1, sha256("a")}}));
  EXPECT_EQ(m1.prove(b1, k2).encode(), map_prove(n1, k2).encode());
  EXPECT_EQ(m1.update(b1, {{k2, sha256("b")}}), map_update(n1, {{k2, sha256("b")}}));
  EXPECT_EQ(m1.prove(b1, k2).encode(), map_prove(n1, k2).encode());
  EXPECT_TRUE(map_verify(m1.root(), k2, sha256("b"), m1.prove(b1, k2)).ok());
  // A stored bucket that is not sorted is refused at load.
  std::string two = b1.m.begin()->second;
  std::string swapped = two.substr(64) + two.substr(0, 64);
  BucketMap m2;
  EXPECT_FALSE(m2.load_bucket(b1.m.begin()->first, swapped).ok());
  EXPECT_FALSE(m2.load_bucket(b1.m.begin()->first, two.substr(1)).ok());
}

}  // namespace
}  // namespace certledger::merkle
