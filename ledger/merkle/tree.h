// RFC 9162 Merkle tree over the signed records in position order.
//   leaf = SHA-256(0x00 || record), node = SHA-256(0x01 || left || right),
//   empty tree = SHA-256("").
// Verification functions are pure and do no I/O (compare
// transparency-dev/merkle's rfc6962 and proof packages); proof generation
// reads stored perfect-subtree nodes through NodeSource.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "ledger/util/hash.h"
#include "ledger/util/result.h"

namespace certledger::merkle {

Hash256 leaf_hash(std::string_view record);
Hash256 node_hash(const Hash256& left, const Hash256& right);
Hash256 empty_root();

// A node of a perfect subtree: level 0 are leaves; (level, index) covers
// leaves [index << level, (index + 1) << level).
struct NodeId {
  uint8_t level;
  uint64_t index;
};

// The append-only frontier: roots of the perfect subtrees that make up the
// tree, largest first. Appending emits each newly completed node so a store
// can keep every perfect-subtree node for proofs.
class CompactRange {
 public:
  CompactRange() = default;
  CompactRange(uint64_t size, std::vector<Hash256> frontier);
  using NodeSink = std::function<void(NodeId, const Hash256&)>;
  void append(const Hash256& leaf, const NodeSink& sink);
  Hash256 root() const;
  uint64_t size() const { return size_; }
  const std::vector<Hash256>& frontier() const { return frontier_; }
  // Encoding for storage: be64 size || 32-byte hashes.
  std::string encode() const;
  static Result<CompactRange> decode(std::string_view bytes);

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> frontier_;  // one per set bit of size_, high bit first
};

// Reads a stored perfect-subtree node. Must return every node whose subtree
// lies within the tree the proof is for.
using NodeSource = std::function<Result<Hash256>(NodeId)>;

// MTH(D[begin:end]) from stored nodes.
Result<Hash256> subtree_root(uint64_t begin, uint64_t end, const NodeSource& nodes);
// RFC 9162 §2.1.3.1 PATH(index, D[size]), bottom-up.
Result<std::vector<Hash256>> inclusion_proof(uint64_t index, uint64_t size, const NodeSource& nodes);
// The roots of a tree's incomplete subtrees on its right edge, [begin, size)
// by begin: what every inclusion proof in that tree recomputes from many
// stored nodes. Made once per tree size, they make a proof ~log2(size)
// node reads (a proof server makes them per checkpoint).
using EdgeRoots = std::map<uint64_t, Hash256>;
Result<EdgeRoots> edge_roots(uint64_t size, const NodeSource& nodes);
// As inclusion_proof, taking those roots from `edge` (edge_roots(size)).
Result<std::vector<Hash256>> inclusion_proof(uint64_t index, uint64_t size, const NodeSource& nodes,
                                             const EdgeRoots& edge);
// RFC 9162 §2.1.4.1 PROOF(first, D[second]).
Result<std::vector<Hash256>> consistency_proof(uint64_t first, uint64_t second, const NodeSource& nodes);

// RFC 9162 §2.1.3.2. Errors are Errc::corruption with the reason.
Status verify_inclusion(uint64_t index, uint64_t size, const Hash256& leaf, const std::vector<Hash256>& proof,
                        const Hash256& root);
Result<Hash256> root_from_inclusion(uint64_t index, uint64_t size, const Hash256& leaf,
                                    const std::vector<Hash256>& proof);
// RFC 9162 §2.1.4.2, with transparency-dev's conventions for the edges:
// first == second needs an empty proof and equal roots; first == 0 needs an
// empty proof; first > second is an error.
Status verify_consistency(uint64_t first, uint64_t second, const std::vector<Hash256>& proof, const Hash256& first_root,
                          const Hash256& second_root);

}  // namespace certledger::merkle
