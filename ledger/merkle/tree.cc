#include "ledger/merkle/tree.h"

#include <bit>
#include <cstring>

#include "ledger/util/encoding.h"

namespace certledger::merkle {
namespace {

Error bad(std::string m) { return make_error(Errc::corruption, std::move(m)); }

// Largest power of two strictly less than n (n >= 2).
uint64_t split_point(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

Hash256 leaf_hash(std::string_view record) { return sha256_parts({std::string_view("\x00", 1), record}); }

Hash256 node_hash(const Hash256& l, const Hash256& r) {
  return sha256_parts({std::string_view("\x01", 1), hash_view(l), hash_view(r)});
}

Hash256 empty_root() { return sha256(""); }

CompactRange::CompactRange(uint64_t size, std::vector<Hash256> frontier)
    : size_(size), frontier_(std::move(frontier)) {}

void CompactRange::append(const Hash256& leaf, const NodeSink& sink) {
  Hash256 h = leaf;
  uint64_t index = size_;
  uint8_t level = 0;
  if (sink) sink(NodeId{0, index}, h);
  // Each trailing 1 bit of the old size is a completed subtree to merge with.
  while (index & 1) {
    h = node_hash(frontier_.back(), h);
    frontier_.pop_back();
    index >>= 1;
    ++level;
    if (sink) sink(NodeId{level, index}, h);
  }
  frontier_.push_back(h);
  ++size_;
}

Hash256 CompactRange::root() const {
  if (frontier_.empty()) return empty_root();
  Hash256 h = frontier_.back();
  for (size_t i = frontier_.size() - 1; i-- > 0;) h = node_hash(frontier_[i], h);
  return h;
}

std::string CompactRange::encode() const {
  std::string out = be64(size_);
  for (const auto& h : frontier_) out.append(hash_view(h));
  return out;
}

Result<CompactRange> CompactRange::decode(std::string_view b) {
  if (b.size() < 8 || (b.size() - 8) % 32 != 0) return bad("compact range: bad length");
  uint64_t size = get_be64(b);
  if (static_cast<size_t>(std::popcount(size)) != (b.size() - 8) / 32)
    return bad("compact range: frontier does not match size");
  std::vector<Hash256> f((b.size() - 8) / 32);
  for (size_t i = 0; i < f.size(); ++i) std::memcpy(f[i].data(), b.data() + 8 + 32 * i, 32);
  return CompactRange(size, std::move(f));
}

Result<Hash256> subtree_root(uint64_t begin, uint64_t end, const NodeSource& nodes) {
  if (end <= begin) return empty_root();
  uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    uint8_t level = static_cast<uint8_t>(std::countr_zero(n));
    return nodes(NodeId{level, begin >> level});
  }
  uint64_t k = split_point(n);
  CL_ASSIGN(Hash256 left, subtree_root(begin, begin + k, nodes));
  CL_ASSIGN(Hash256 right, subtree_root(begin + k, end, nodes));
  return node_hash(left, right);
}

namespace {

// edge: roots of [begin, end) for this end, where known (EdgeRoots).
Status path(uint64_t m, uint64_t begin, uint64_t end, const NodeSource& nodes, std::vector<Hash256>& out,
            const EdgeRoots* edge = nullptr) {
  uint64_t n = end - begin;
  if (n <= 1) return {};
  uint64_t k = split_point(n);
  if (m < k) {
    CL_TRY(path(m, begin, begin + k, nodes, out));
    auto known = edge ? edge->find(begin + k) : EdgeRoots::const_iterator();
    if (edge && known != edge->end()) {
      out.push_back(known->second);
    } else {
      CL_ASSIGN(Hash256 h, subtree_root(begin + k, end, nodes));
      out.push_back(h);
    }
  } else {
    CL_TRY(path(m - k, begin + k, end, nodes, out, edge));
    CL_ASSIGN(Hash256 h, subtree_root(begin, begin + k, nodes));
    out.push_back(h);
  }
  return {};
}

Status subproof(uint64_t m, uint64_t begin, uint64_t end, bool b, const NodeSource& nodes, std::vector<Hash256>& out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!b) {
      CL_ASSIGN(Hash256 h, subtree_root(begin, end, nodes));
      out.push_back(h);
    }
    return {};
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    CL_TRY(subproof(m, begin, begin + k, b, nodes, out));
    CL_ASSIGN(Hash256 h, subtree_root(begin + k, end, nodes));
    out.push_back(h);
  } else {
    CL_TRY(subproof(m - k, begin + k, end, false, nodes, out));
    CL_ASSIGN(Hash256 h, subtree_root(begin, begin + k, nodes));
    out.push_back(h);
  }
  return {};
}

}  // namespace

Result<std::vector<Hash256>> inclusion_proof(uint64_t index, uint64_t size, const NodeSource& nodes) {
  if (index >= size)
    return make_error(Errc::invalid_argument,
                      "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  std::vector<Hash256> out;
  CL_TRY(path(index, 0, size, nodes, out));
  return out;
}

Result<EdgeRoots> edge_roots(uint64_t size, const NodeSource& nodes) {
  // [begin, size) is incomplete where size - begin is not a power of two
  // aligned at begin: begin = size with its lowest set bits cleared, one
  // at a time. Each is the complete subtree at begin and the next one.
  EdgeRoots out;
  std::vector<uint64_t> begins;
  for (uint64_t b = size; b != 0;) {
    b &= b - 1;  // clear the lowest set bit
    if (size - b > 1 && !(std::has_single_bit(size - b) && (b == 0 || b % (size - b) == 0))) begins.push_back(b);
  }
  // From the innermost (largest begin) out, each from the one inside it.
  for (auto it = begins.begin(); it != begins.end(); ++it) {
    const uint64_t b = *it;
    const uint64_t k = split_point(size - b);
    CL_ASSIGN(Hash256 left, subtree_root(b, b + k, nodes));
    auto inner = out.find(b + k);
    Hash256 right;
    if (inner != out.end()) {
      right = inner->second;
    } else {
      CL_ASSIGN(right, subtree_root(b + k, size, nodes));
    }
    out[b] = node_hash(left, right);
  }
  return out;
}

Result<std::vector<Hash256>> inclusion_proof(uint64_t index, uint64_t size, const NodeSource& nodes,
                                             const EdgeRoots& edge) {
  if (index >= size)
    return make_error(Errc::invalid_argument,
                      "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  std::vector<Hash256> out;
  CL_TRY(path(index, 0, size, nodes, out, &edge));
  return out;
}

Result<std::vector<Hash256>> consistency_proof(uint64_t first, uint64_t second, const NodeSource& nodes) {
  if (first > second)
    return make_error(Errc::invalid_argument,
                      "first tree size " + std::to_string(first) + " is larger than second " + std::to_string(second));
  std::vector<Hash256> out;
  if (first == 0 || first == second) return out;
  CL_TRY(subproof(first, 0, second, true, nodes, out));
  return out;
}

Result<Hash256> root_from_inclusion(uint64_t index, uint64_t size, const Hash256& leaf,
                                    const std::vector<Hash256>& proof) {
  if (index >= size) return bad("leaf index " + std::to_string(index) + " beyond tree size " + std::to_string(size));
  uint64_t fn = index, sn = size - 1;
  Hash256 r = leaf;
  for (const auto& p : proof) {
    if (sn == 0) return bad("inclusion proof is too long");
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return bad("inclusion proof is too short");
  return r;
}

Status verify_inclusion(uint64_t index, uint64_t size, const Hash256& leaf, const std::vector<Hash256>& proof,
                        const Hash256& root) {
  CL_ASSIGN(Hash256 r, root_from_inclusion(index, size, leaf, proof));
  if (r != root) return bad("inclusion proof does not lead to the root");
  return {};
}

Status verify_consistency(uint64_t first, uint64_t second, const std::vector<Hash256>& proof, const Hash256& first_root,
                          const Hash256& second_root) {
  if (first > second) return bad("first tree is larger than the second");
  if (first == second) {
    if (!proof.empty()) return bad("consistency proof between equal sizes must be empty");
    if (first_root != second_root) return bad("equal tree sizes with different roots");
    return {};
  }
  if (first == 0) {
    if (!proof.empty()) return bad("consistency proof from the empty tree must be empty");
    return {};
  }
  if (proof.empty()) return bad("consistency proof is empty");
  std::vector<Hash256> path;
  if (std::has_single_bit(first)) path.push_back(first_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash256& c = path[i];
    if (sn == 0) return bad("consistency proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return bad("consistency proof is too short");
  if (fr != first_root) return bad("consistency proof does not reproduce the first root");
  if (sr != second_root) return bad("consistency proof does not reproduce the second root");
  return {};
}

}  // namespace certledger::merkle
