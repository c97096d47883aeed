// The RFC 6962 reference tree published with transparency-dev/merkle
// (testonly/constants.go: eight leaf inputs, the roots of every prefix and
// the node hashes), then every family of deliberately broken proof from its
// testdata/ directory, regenerated here for every (index, size) of that tree
// and of larger trees: each must be rejected.
#include "ledger/merkle/tiles.h"
#include "ledger/merkle/tree.h"

#include <gtest/gtest.h>

#include <bit>

#include <cstring>
#include <map>
#include <random>

#include "ledger/util/encoding.h"

namespace certledger::merkle {
namespace {

Hash256 h(const std::string& hex) {
  Hash256 out;
  auto b = *hex_decode(hex);
  std::memcpy(out.data(), b.data(), 32);
  return out;
}

const std::vector<std::string> kLeaves = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const std::vector<std::string> kRoots = {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

// An in-memory tree keeping every perfect-subtree node, as the store does.
struct MemTree {
  CompactRange range;
  std::map<std::pair<int, uint64_t>, Hash256> nodes;
  std::vector<Hash256> roots{empty_root()};
  void add(std::string_view data) {
    range.append(leaf_hash(data), [&](NodeId id, const Hash256& x) { nodes[{id.level, id.index}] = x; });
    roots.push_back(range.root());
  }
  NodeSource source() const {
    return [this](NodeId id) -> Result<Hash256> {
      auto it = nodes.find({id.level, id.index});
      if (it == nodes.end()) return make_error(Errc::not_found, "node");
      return it->second;
    };
  }
};

MemTree reference_tree() {
  MemTree t;
  for (const auto& l : kLeaves) t.add(*hex_decode(l));
  return t;
}

TEST(Merkle, ReferenceRootsOfEveryPrefix) {
  MemTree t = reference_tree();
  for (size_t n = 0; n <= 8; ++n) EXPECT_EQ(hash_hex(t.roots[n]), kRoots[n]) << "size " << n;
  EXPECT_EQ(hash_hex(t.nodes.at({0, 1})), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  EXPECT_EQ(hash_hex(t.nodes.at({1, 3})), "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
  EXPECT_EQ(hash_hex(t.nodes.at({2, 1})), "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
  for (uint64_t n = 1; n <= 8; ++n) EXPECT_EQ(hash_hex(*subtree_root(0, n, t.source())), kRoots[n]);
}

TEST(Merkle, PublishedHappyPathInclusionProof) {
  // testdata/inclusion/1/happy-path.json: leaf 0 of the 8-leaf tree.
  MemTree t = reference_tree();
  auto proof = *inclusion_proof(0, 8, t.source());
  ASSERT_EQ(proof.size(), 3u);
  EXPECT_EQ(base64_encode(hash_bytes(proof[0])), "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=");
  EXPECT_EQ(base64_encode(hash_bytes(proof[1])), "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=");
  EXPECT_EQ(base64_encode(hash_bytes(proof[2])), "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=");
  EXPECT_TRUE(verify_inclusion(0, 8, h(kRoots[1]), proof, h(kRoots[8])).ok());
}

TEST(Merkle, CompactRangeEncodingRoundTrips) {
  MemTree t = reference_tree();
  auto back = CompactRange::decode(t.range.encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->root(), t.range.root());
  std::string bad = t.range.encode();
  bad.pop_back();
  EXPECT_FALSE(CompactRange::decode(bad).ok());
  std::string wrong_size = t.range.encode();
  wrong_size[7] = 7;  // size 7 needs three frontier hashes
  EXPECT_FALSE(CompactRange::decode(wrong_size).ok());
}

using Proof = std::vector<Hash256>;

// The broken-proof families of testdata/inclusion/*/ .
std::vector<std::pair<std::string, std::tuple<uint64_t, uint64_t, Hash256, Proof, Hash256>>> corrupt_inclusion(
    uint64_t i, uint64_t n, const Hash256& leaf, const Proof& p, const Hash256& root) {
  std::vector<std::pair<std::string, std::tuple<uint64_t, uint64_t, Hash256, Proof, Hash256>>> out;
  auto add = [&](std::string name, uint64_t i2, uint64_t n2, Hash256 l2, Proof p2, Hash256 r2) {
    out.emplace_back(std::move(name), std::make_tuple(i2, n2, l2, std::move(p2), r2));
  };
  Hash256 garbage = sha256("garbage");
  add("wrong-leaf", i, n, sha256("WrongLeaf"), p, root);
  add("leafIdx+1", i + 1, n, leaf, p, root);
  if (i > 0) add("leafIdx-1", i - 1, n, leaf, p, root);
  add("leafIdx^2", i ^ 2, n, leaf, p, root);
  add("treeSize*2", i, n * 2, leaf, p, root);
  add("treeSize/2", i, n / 2, leaf, p, root);
  add("empty-root", i, n, leaf, p, empty_root());
  add("random-root", i, n, leaf, p, sha256("random"));
  {
    Proof q = p;
    q.push_back(garbage);
    add("trailing-garbage", i, n, leaf, q, root);
    q = p;
    q.insert(q.begin(), garbage);
    add("preceding-garbage", i, n, leaf, q, root);
    q = p;
    q.push_back(root);
    add("trailing-root", i, n, leaf, q, root);
    q = p;
    q.insert(q.begin(), root);
    add("preceding-root", i, n, leaf, q, root);
  }
  for (size_t k = 0; k < p.size(); ++k) {
    Proof q = p;
    q[k][3] ^= 0x08;
    add("modified-proof[" + std::to_string(k) + "]-bit-3", i, n, leaf, q, root);
    q = p;
    q.erase(q.begin() + static_cast<long>(k));
    add("removed-component-" + std::to_string(k), i, n, leaf, q, root);
    q = p;
    q.insert(q.begin() + static_cast<long>(k), garbage);
    add("inserted-component-" + std::to_string(k), i, n, leaf, q, root);
  }
  return out;
}

TEST(Merkle, InclusionProofsVerifyAndEveryCorruptionIsRejected) {
  MemTree t;
  std::mt19937 rng(7);
  for (int n = 0; n < 70; ++n) t.add(n < 8 ? *hex_decode(kLeaves[n]) : "leaf " + std::to_string(n));
  int rejected = 0;
  for (uint64_t n = 1; n <= 70; ++n)
    for (uint64_t i = 0; i < n; ++i) {
      if (n > 8 && rng() % 4) continue;  // all of the reference tree, a sample beyond
      Hash256 leaf = t.nodes.at({0, i});
      auto p = inclusion_proof(i, n, t.source());
      ASSERT_TRUE(p.ok());
      ASSERT_TRUE(verify_inclusion(i, n, leaf, *p, t.roots[n]).ok()) << i << "/" << n;
      for (auto& [name, c] : corrupt_inclusion(i, n, leaf, *p, t.roots[n])) {
        auto& [ci, cn, cl, cp, cr] = c;
        // A changed index or size may describe another valid position.
        if (cn == 0 || (cn == n && ci == i && cl == leaf && cp == *p && cr == t.roots[n])) continue;
        if (cn <= 70 && ci < cn && cr == t.roots[cn] && cl == t.nodes.at({0, ci})) {
          auto real = inclusion_proof(ci, cn, t.source());
          if (real.ok() && *real == cp) continue;
        }
        EXPECT_FALSE(verify_inclusion(ci, cn, cl, cp, cr).ok()) << name << " " << i << "/" << n;
        ++rejected;
      }
    }
  EXPECT_GT(rejected, 1000);
  EXPECT_FALSE(inclusion_proof(5, 5, t.source()).ok());
}

// Proofs made with a tree size's right-edge roots (a proof server's
// shortcut) are the proofs, for every size and index; the edge holds the
// incomplete subtrees only, each the root of [begin, size).
TEST(Merkle, EdgeRootsGiveTheSameInclusionProofs) {
  MemTree t;
  for (int n = 0; n < 70; ++n) t.add("leaf " + std::to_string(n));
  for (uint64_t n = 1; n <= 70; ++n) {
    auto edge = edge_roots(n, t.source());
    ASSERT_TRUE(edge.ok());
    for (const auto& [begin, root] : *edge) {
      EXPECT_FALSE(std::has_single_bit(n - begin) && begin % (n - begin) == 0) << begin << "/" << n << " is complete";
      EXPECT_EQ(root, *subtree_root(begin, n, t.source())) << begin << "/" << n;
    }
    EXPECT_LE(edge->size(), 7u);
    for (uint64_t i = 0; i < n; ++i) {
      auto plain = inclusion_proof(i, n, t.source());
      auto fast = inclusion_proof(i, n, t.source(), *edge);
      ASSERT_TRUE(plain.ok() && fast.ok());
      EXPECT_EQ(*plain, *fast) << i << "/" << n;
    }
  }
}

// C2SP tlog-tiles paths: the spec's example, partial tiles, entry bundles,
// and one spelling per tile.
TEST(Merkle, TilePathsAreTheSpecsAndOnlyThose) {
  EXPECT_EQ(tile_path({false, 0, 1234067, kTileWidth}), "tile/0/x001/x234/067");
  EXPECT_EQ(tile_path({false, 1, 0, 2}), "tile/1/000.p/2");
  EXPECT_EQ(tile_path({true, 0, 1000, 17}), "tile/entries/x001/000.p/17");
  for (const TileRef t : {TileRef{false, 0, 1234067, 256}, TileRef{false, 63, 0, 1}, TileRef{true, 0, 999, 255},
                          TileRef{true, 0, UINT64_MAX, 256}, TileRef{false, 5, 1000000, 100}})
    EXPECT_EQ(parse_tile_path(tile_path(t)), t) << tile_path(t);
  for (const char* bad :
       {"tile/0/x000/001", "tile/00/000", "tile/64/000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/007",
        "tile/0/01", "tile/0/0001", "tile/0/x1/000", "tile/0/001/002", "tile/entries/", "tile/0/", "tile/x/000",
        "tiles/0/000", "tile/0/000.p/", "tile/0/-01", "tile/entries/x018/x446/x744/x073/x709/x551/616"})
    EXPECT_FALSE(parse_tile_path(bad)) << bad;
}

TEST(Merkle, ConsistencyProofsVerifyAndEveryCorruptionIsRejected) {
  MemTree t;
  for (int n = 0; n < 40; ++n) t.add(n < 8 ? *hex_decode(kLeaves[n]) : "leaf " + std::to_string(n));
  int rejected = 0;
  for (uint64_t m = 0; m <= 40; ++m)
    for (uint64_t n = m; n <= 40; ++n) {
      auto p = consistency_proof(m, n, t.source());
      ASSERT_TRUE(p.ok());
      ASSERT_TRUE(verify_consistency(m, n, *p, t.roots[m], t.roots[n]).ok()) << m << "->" << n;
      if (m == 0 || m == n) continue;
      Hash256 garbage = sha256("garbage");
      std::vector<std::pair<std::string, std::tuple<uint64_t, uint64_t, Proof, Hash256, Hash256>>> bad;
      bad.push_back({"size1+1", {m + 1, n, *p, t.roots[m], t.roots[n]}});
      // (A changed second size with the same root can describe another
      // well-formed tree whose right edge is the proof's last node, so
      // consistency proofs do not pin size2 on their own: no case here.)
      bad.push_back({"swapped-sizes", {n, m, *p, t.roots[n], t.roots[m]}});
      bad.push_back({"wrong-root1", {m, n, *p, sha256("x"), t.roots[n]}});
      bad.push_back({"wrong-root2", {m, n, *p, t.roots[m], sha256("x")}});
      bad.push_back({"empty-proof", {m, n, Proof{}, t.roots[m], t.roots[n]}});
      Proof q = *p;
      q.push_back(garbage);
      bad.push_back({"trailing-garbage", {m, n, q, t.roots[m], t.roots[n]}});
      q = *p;
      q.insert(q.begin(), garbage);
      bad.push_back({"preceding-garbage", {m, n, q, t.roots[m], t.roots[n]}});
      for (size_t k = 0; k < p->size(); ++k) {
        q = *p;
        q[k][4] ^= 0x10;
        bad.push_back({"modified-proof", {m, n, q, t.roots[m], t.roots[n]}});
        q = *p;
        q.erase(q.begin() + static_cast<long>(k));
        bad.push_back({"removed-component", {m, n, q, t.roots[m], t.roots[n]}});
      }
      for (auto& [name, c] : bad) {
        auto& [a, b, cp, r1, r2] = c;
        if (b <= 40 && a <= b && r1 == t.roots[std::min<uint64_t>(a, 40)] && r2 == t.roots[b] &&
            consistency_proof(a, b, t.source()).ok() && *consistency_proof(a, b, t.source()) == cp)
          continue;  // the change happens to describe another valid proof
        EXPECT_FALSE(verify_consistency(a, b, cp, r1, r2).ok()) << name << " " << m << "->" << n;
        ++rejected;
      }
    }
  EXPECT_GT(rejected, 2000);
  EXPECT_FALSE(verify_consistency(0, 5, {sha256("x")}, empty_root(), t.roots[5]).ok());
  EXPECT_FALSE(verify_consistency(5, 5, {}, t.roots[5], t.roots[4]).ok());
}

}  // namespace
}  // namespace certledger::merkle
