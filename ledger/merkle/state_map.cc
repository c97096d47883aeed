#include "ledger/merkle/state_map.h"

#include <algorithm>
#include <cstring>
#include <span>

namespace certledger::merkle {

namespace {

Hash256 hash_from(std::string_view s) {
  Hash256 h{};
  std::memcpy(h.data(), s.data(), h.size());
  return h;
}

// A stored node is the bytes its hash is taken over: interior 0x01 ||
// left || right, leaf 0x00 || key || value_hash. So a node's hash is the
// SHA-256 of its stored value, and an interior node hands over both
// children's hashes without reading them.
struct Node {
  enum Kind { empty, leaf, interior } kind = empty;
  Hash256 key{}, value{};  // leaf
  Hash256 child[2]{};      // interior
  Hash256 node_hash() const {
    if (kind == leaf) return map_leaf_hash(key, value);
    return kind == interior ? map_interior_hash(child[0], child[1]) : kEmptyMapHash;
  }
};

Node load(const MapNodes& nodes, unsigned depth, const Hash256& path) {
  Node n;
  auto v = nodes.get(map_node_key(depth, path));
  if (!v || v->size() != 65) return n;
  const std::string_view b(*v);
  if (b[0] == 1) {
    n.kind = Node::interior;
    n.child[0] = hash_from(b.substr(1, 32));
    n.child[1] = hash_from(b.substr(33));
  } else if (b[0] == 0) {
    n.kind = Node::leaf;
    n.key = hash_from(b.substr(1, 32));
    n.value = hash_from(b.substr(33));
  }
  return n;
}

Hash256 put_leaf(MapNodes& nodes, unsigned depth, const MapUpdate& u) {
  std::string v(1, '\0');
  v += hash_view(u.key);
  v += hash_view(u.value_hash);
  nodes.put(map_node_key(depth, u.key), v);
  return map_leaf_hash(u.key, u.value_hash);
}

Hash256 with_bit(Hash256 key, unsigned i, bool bit) {
  const unsigned char mask = static_cast<unsigned char>(0x80u >> (i % 8));
  if (bit) key[i / 8] |= mask;
  else key[i / 8] &= static_cast<unsigned char>(~mask);
  return key;
}

// The subtree at `depth` on `path` after applying `ups` (sorted, distinct,
// all on this path). `carried`: a leaf moving down from above, so that the
// store holds nothing here yet (as when `known_empty`).
Hash256 update_at(MapNodes& nodes, unsigned depth, const Hash256& path, std::span<const MapUpdate> ups,
                  const std::optional<MapUpdate>& carried, bool known_empty) {
  Node n;
  if (carried) {
    n.kind = Node::leaf;
    n.key = carried->key;
    n.value = carried->value_hash;
  } else if (!known_empty) {
    n = load(nodes, depth, path);
  }
  if (ups.empty()) {
    if (carried) return put_leaf(nodes, depth, *carried);
    return n.node_hash();
  }
  if (ups.size() == 1 && (n.kind == Node::empty || (n.kind == Node::leaf && n.key == ups[0].key)))
    return put_leaf(nodes, depth, ups[0]);

  // An interior node here: a leaf that was here moves down unless replaced.
  std::optional<MapUpdate> moving;
  if (n.kind == Node::leaf && !std::binary_search(ups.begin(), ups.end(), MapUpdate{n.key, {}},
                                                  [](const MapUpdate& a, const MapUpdate& b) { return a.key < b.key; }))
    moving = MapUpdate{n.key, n.value};
  const bool children_empty = n.kind != Node::interior;
  auto split = std::partition_point(ups.begin(), ups.end(), [&](const MapUpdate& u) { return !key_bit(u.key, depth); });
  const std::span<const MapUpdate> side[2] = {ups.subspan(0, static_cast<size_t>(split - ups.begin())),
                                              ups.subspan(static_cast<size_t>(split - ups.begin()))};
  Hash256 child_hash[2];
  for (int b = 0; b < 2; ++b) {
    const bool carries = moving && key_bit(moving->key, depth) == (b == 1);
    if (side[b].empty() && !carries) {
      child_hash[b] = children_empty ? kEmptyMapHash : n.child[b];
      continue;
    }
    child_hash[b] = update_at(nodes, depth + 1, with_bit(path, depth, b == 1), side[b], carries ? moving : std::nullopt,
                              children_empty);
  }
  std::string v(1, '\1');
  v += hash_view(child_hash[0]);
  v += hash_view(child_hash[1]);
  nodes.put(map_node_key(depth, path), v);
  return map_interior_hash(child_hash[0], child_hash[1]);
}

}  // namespace

Hash256 map_leaf_hash(const Hash256& key, const Hash256& value_hash) {
  return sha256_parts({std::string_view("\0", 1), hash_view(key), hash_view(value_hash)});
}

Hash256 map_interior_hash(const Hash256& left, const Hash256& right) {
  return sha256_parts({std::string_view("\1", 1), hash_view(left), hash_view(right)});
}

bool key_bit(const Hash256& key, unsigned i) { return (key[i / 8] >> (7 - i % 8)) & 1; }

std::string map_node_key(unsigned depth, const Hash256& key) {
  std::string k;
  k += static_cast<char>(depth >> 8);
  k += static_cast<char>(depth & 0xff);
  const unsigned whole = depth / 8, rest = depth % 8;
  k.append(reinterpret_cast<const char*>(key.data()), whole);
  if (rest) k += static_cast<char>(key[whole] & static_cast<unsigned char>(0xff00u >> rest));
  return k;
}

Hash256 map_update(MapNodes& nodes, std::vector<MapUpdate> updates) {
  // Sorted by key; of several updates of one key the last one counts.
  std::stable_sort(updates.begin(), updates.end(),
                   [](const MapUpdate& a, const MapUpdate& b) { return a.key < b.key; });
  std::vector<MapUpdate> last;
  last.reserve(updates.size());
  for (auto& u : updates) {
    if (!last.empty() && last.back().key == u.key) last.back() = u;
    else last.push_back(u);
  }
  if (last.empty()) return map_root(nodes);
  return update_at(nodes, 0, Hash256{}, last, std::nullopt, false);
}

Hash256 map_root(const MapNodes& nodes) { return load(nodes, 0, Hash256{}).node_hash(); }

MapProof map_prove(const MapNodes& nodes, const Hash256& key) {
  MapProof p;
  for (unsigned depth = 0; depth <= 256; ++depth) {
    Node n = load(nodes, depth, key);
    if (n.kind == Node::leaf) p.leaf = MapProof::Leaf{n.key, n.value};
    if (n.kind != Node::interior) break;
    p.siblings.push_back(n.child[key_bit(key, depth) ? 0 : 1]);
  }
  return p;
}

std::string MapProof::encode() const {
  std::string out;
  const size_t n = siblings.size();
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(n & 0xff);
  std::string bitmap((n + 7) / 8, '\0');
  std::string hashes;
  for (size_t i = 0; i < n; ++i)
    if (siblings[i] != kEmptyMapHash) {
      bitmap[i / 8] = static_cast<char>(static_cast<unsigned char>(bitmap[i / 8]) | (0x80u >> (i % 8)));
      hashes += hash_view(siblings[i]);
    }
  out += bitmap;
  out += hashes;
  out += leaf ? '\1' : '\0';
  if (leaf) {
    out += hash_view(leaf->key);
    out += hash_view(leaf->value_hash);
  }
  return out;
}

Result<MapProof> MapProof::decode(std::string_view b) {
  auto bad = [](const std::string& why) { return make_error(Errc::invalid_argument, "map proof: " + why); };
  if (b.size() < 2) return bad("too short");
  const size_t n = (static_cast<unsigned char>(b[0]) << 8) | static_cast<unsigned char>(b[1]);
  if (n > 256) return bad("more than 256 siblings");
  size_t at = 2;
  const size_t bitmap_len = (n + 7) / 8;
  if (b.size() < at + bitmap_len) return bad("truncated bitmap");
  const std::string_view bitmap = b.substr(at, bitmap_len);
  at += bitmap_len;
  MapProof p;
  p.siblings.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!((static_cast<unsigned char>(bitmap[i / 8]) >> (7 - i % 8)) & 1)) continue;
    if (b.size() < at + 32) return bad("truncated sibling");
    p.siblings[i] = hash_from(b.substr(at, 32));
    if (p.siblings[i] == kEmptyMapHash) return bad("an empty sibling marked as present");
    at += 32;
  }
  for (size_t i = n; i < bitmap_len * 8; ++i)
    if ((static_cast<unsigned char>(bitmap[i / 8]) >> (7 - i % 8)) & 1) return bad("bitmap bits past the count");
  if (b.size() < at + 1) return bad("no leaf flag");
  const unsigned char flag = static_cast<unsigned char>(b[at++]);
  if (flag > 1) return bad("leaf flag is neither 0 nor 1");
  if (flag == 1) {
    if (b.size() < at + 64) return bad("truncated leaf");
    p.leaf = Leaf{hash_from(b.substr(at, 32)), hash_from(b.substr(at + 32, 32))};
    at += 64;
  }
  if (at != b.size()) return bad("trailing bytes");
  return p;
}

Status map_verify(const Hash256& root, const Hash256& key, const std::optional<Hash256>& value_hash,
                  const MapProof& proof) {
  auto fail = [](const std::string& why) { return make_error(Errc::corruption, "map proof: " + why); };
  const size_t depth = proof.siblings.size();
  if (depth > 256) return fail("more than 256 siblings");
  Hash256 h = kEmptyMapHash;
  if (value_hash) {
    if (!proof.leaf) return fail("no leaf for a key that should be present");
    if (proof.leaf->key != key) return fail("the leaf is another key's");
    if (proof.leaf->value_hash != *value_hash) return fail("the leaf holds another value");
  } else if (proof.leaf) {
    if (proof.leaf->key == key) return fail("the key is present");
  }
  if (proof.leaf) {
    for (size_t i = 0; i < depth; ++i)
      if (key_bit(proof.leaf->key, static_cast<unsigned>(i)) != key_bit(key, static_cast<unsigned>(i)))
        return fail("the leaf is not on the key's path");
    h = map_leaf_hash(proof.leaf->key, proof.leaf->value_hash);
  }
  for (size_t i = depth; i-- > 0;)
    h = key_bit(key, static_cast<unsigned>(i)) ? map_interior_hash(proof.siblings[i], h)
                                               : map_interior_hash(h, proof.siblings[i]);
  if (h != root) return fail("the path does not lead to the root");
  return {};
}

}  // namespace certledger::merkle

namespace certledger::merkle {

namespace {

constexpr size_t kLeafBytes = 64;

// The root of sorted leaves that share their first `depth` bits.
Hash256 span_root(std::span<const MapUpdate> l, unsigned depth) {
  if (l.empty()) return kEmptyMapHash;
  if (l.size() == 1) return map_leaf_hash(l[0].key, l[0].value_hash);
  auto split = std::partition_point(l.begin(), l.end(), [&](const MapUpdate& u) { return !key_bit(u.key, depth); });
  const size_t n = static_cast<size_t>(split - l.begin());
  return map_interior_hash(span_root(l.subspan(0, n), depth + 1), span_root(l.subspan(n), depth + 1));
}

Result<std::vector<MapUpdate>> parse_leaves(uint32_t bucket, std::string_view s) {
  if (s.size() % kLeafBytes != 0)
    return make_error(Errc::corruption, "state map bucket of " + std::to_string(s.size()) + " bytes");
  std::vector<MapUpdate> out(s.size() / kLeafBytes);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].key = hash_from(s.substr(i * kLeafBytes, 32));
    out[i].value_hash = hash_from(s.substr(i * kLeafBytes + 32, 32));
    if (BucketMap::bucket_of(out[i].key) != bucket || (i > 0 && !(out[i - 1].key < out[i].key)))
      return make_error(Errc::corruption,
                        "state map bucket " + std::to_string(bucket) + " is not sorted or holds another bucket's key");
  }
  return out;
}

std::vector<MapUpdate> leaves_of(const BucketMap::Buckets& buckets, uint32_t bucket) {
  auto v = buckets.get(bucket);
  if (!v) return {};
  auto parsed = parse_leaves(bucket, *v);
  return parsed.ok() ? std::move(*parsed) : std::vector<MapUpdate>{};
}

bool by_key(const MapUpdate& a, const MapUpdate& b) { return a.key < b.key; }

}  // namespace

BucketMap::BucketMap() { clear(); }

void BucketMap::clear() {
  hash_.assign(kBucketBits + 1, {});
  count_.assign(kBucketBits + 1, {});
  for (unsigned d = 0; d <= kBucketBits; ++d) {
    hash_[d].assign(size_t{1} << d, kEmptyMapHash);
    count_[d].assign(size_t{1} << d, 0);
  }
}

void BucketMap::set_bucket(uint32_t bucket, const Hash256& hash, uint32_t count) {
  hash_[kBucketBits][bucket] = hash;
  count_[kBucketBits][bucket] = count;
}

Status BucketMap::load_bucket(uint32_t bucket, std::string_view leaves) {
  if (bucket >= kBuckets) return make_error(Errc::corruption, "state map bucket number out of range");
  CL_ASSIGN(auto l, parse_leaves(bucket, leaves));
  set_bucket(bucket, span_root(l, kBucketBits), static_cast<uint32_t>(l.size()));
  return {};
}

namespace {

// A node from its two children: empty, the one leaf below it, or interior.
void combine(const Hash256& lh, uint32_t lc, const Hash256& rh, uint32_t rc, Hash256& h, uint32_t& c) {
  c = lc + rc;
  if (c == 0) h = kEmptyMapHash;
  else if (c == 1) h = lc ? lh : rh;
  else h = map_interior_hash(lh, rh);
}

}  // namespace

void BucketMap::finish_load() {
  for (unsigned d = kBucketBits; d-- > 0;)
    for (size_t i = 0; i < hash_[d].size(); ++i)
      combine(hash_[d + 1][2 * i], count_[d + 1][2 * i], hash_[d + 1][2 * i + 1], count_[d + 1][2 * i + 1], hash_[d][i],
              count_[d][i]);
}

void BucketMap::recompute_above(const std::vector<uint32_t>& buckets) {
  std::vector<uint32_t> level = buckets;  // sorted, distinct
  for (unsigned d = kBucketBits; d-- > 0;) {
    std::vector<uint32_t> up;
    for (uint32_t i : level)
      if (up.empty() || up.back() != (i >> 1)) up.push_back(i >> 1);
    for (uint32_t i : up)
      combine(hash_[d + 1][2 * i], count_[d + 1][2 * i], hash_[d + 1][2 * i + 1], count_[d + 1][2 * i + 1], hash_[d][i],
              count_[d][i]);
    level = std::move(up);
  }
}

void BucketMap::set_roots(const std::vector<std::pair<uint32_t, BucketRoot>>& roots) {
  std::vector<uint32_t> touched;
  touched.reserve(roots.size());
  for (const auto& [b, r] : roots) {
    if (b >= kBuckets) continue;
    set_bucket(b, r.root, r.count);
    touched.push_back(b);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  recompute_above(touched);
}

Hash256 BucketMap::update(Buckets& buckets, std::vector<MapUpdate> updates) {
  std::stable_sort(updates.begin(), updates.end(), by_key);
  std::vector<uint32_t> touched;
  for (size_t i = 0; i < updates.size();) {
    const uint32_t b = bucket_of(updates[i].key);
    std::vector<MapUpdate> leaves = leaves_of(buckets, b);
    for (; i < updates.size() && bucket_of(updates[i].key) == b; ++i) {
      auto at = std::lower_bound(leaves.begin(), leaves.end(), updates[i], by_key);
      if (at != leaves.end() && at->key == updates[i].key) at->value_hash = updates[i].value_hash;
      else leaves.insert(at, updates[i]);
    }
    std::string enc;
    enc.reserve(leaves.size() * kLeafBytes);
    for (const auto& l : leaves) {
      enc += hash_view(l.key);
      enc += hash_view(l.value_hash);
    }
    buckets.put(b, enc);
    set_bucket(b, span_root(leaves, kBucketBits), static_cast<uint32_t>(leaves.size()));
    buckets.put_root(b, hash_[kBucketBits][b], count_[kBucketBits][b]);
    touched.push_back(b);
  }
  recompute_above(touched);
  return root();
}

Hash256 BucketMap::root() const { return hash_[0][0]; }

MapProof BucketMap::prove(const Buckets& buckets, const Hash256& key) const {
  MapProof p;
  const uint32_t b = bucket_of(key);
  for (unsigned d = 0; d < kBucketBits; ++d) {
    uint32_t i = b >> (kBucketBits - d);
    if (count_[d][i] == 0) return p;
    if (count_[d][i] == 1) {  // one leaf below: find its bucket
      for (unsigned e = d; e < kBucketBits; ++e) i = count_[e + 1][2 * i] == 1 ? 2 * i : 2 * i + 1;
      auto l = leaves_of(buckets, i);
      if (l.size() == 1) p.leaf = MapProof::Leaf{l[0].key, l[0].value_hash};
      return p;
    }
    const uint32_t sibling = (i << 1) | (key_bit(key, d) ? 0u : 1u);
    p.siblings.push_back(hash_[d + 1][sibling]);
  }
  const std::vector<MapUpdate> leaves = leaves_of(buckets, b);
  std::span<const MapUpdate> span(leaves);
  for (unsigned depth = kBucketBits; !span.empty(); ++depth) {
    if (span.size() == 1) {
      p.leaf = MapProof::Leaf{span[0].key, span[0].value_hash};
      break;
    }
    auto split =
        std::partition_point(span.begin(), span.end(), [&](const MapUpdate& u) { return !key_bit(u.key, depth); });
    const size_t n = static_cast<size_t>(split - span.begin());
    const bool right = key_bit(key, depth);
    p.siblings.push_back(span_root(right ? span.subspan(0, n) : span.subspan(n), depth + 1));
    span = right ? span.subspan(n) : span.subspan(0, n);
  }
  return p;
}

}  // namespace certledger::merkle
