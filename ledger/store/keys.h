// Storage key layouts. doc/storage_format.md is the normative description;
// keep the two in step.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"

namespace certledger::store {

// Column families of the core. Projections add their own.
inline constexpr const char* kCfMeta = "meta";
inline constexpr const char* kCfEvents = "events";            // be64(position) -> record
inline constexpr const char* kCfStreams = "streams";          // stream 0x00 be64(seq) -> be64(position)
inline constexpr const char* kCfHeads = "heads";              // stream -> head (see StreamHead)
inline constexpr const char* kCfIdempotency = "idempotency";  // scope 0x00 key -> IdempotencyRecord
inline constexpr const char* kCfClaims = "claims";            // claim -> stream
inline constexpr const char* kCfMerkle = "merkle";            // u8 level be64(index) -> hash32
inline constexpr const char* kCfCheckpoints = "checkpoints";  // be64(size) -> signed note
inline constexpr const char* kCfBlobs = "blobs";              // "sha256:<hex>" -> bytes (photos); owners
inline constexpr const char* kCfVault = "vault";              // wrapped data keys, keyed holder index (ledger/vault.h)

// Keys in the meta column family.
inline constexpr const char* kMetaLastPosition = "last_position";                     // be64
inline constexpr const char* kMetaCompactRange = "compact_range";                     // CompactRange::encode()
inline constexpr const char* kMetaFormat = "format";                                  // "certledger-store 1"
inline constexpr const char* kMetaOrigin = "origin";                                  // checkpoint origin line
inline constexpr const char* kMetaRelayCursor = "relay_cursor";                       // be64: RelayCursor::events
inline constexpr const char* kMetaRelayCheckpointCursor = "relay_checkpoint_cursor";  // be64: RelayCursor::checkpoints

inline std::string event_key(uint64_t position) { return be64(position); }
inline std::string stream_key(std::string_view stream, uint64_t seq) {
  std::string k(stream);
  k += '\0';
  put_be64(k, seq);
  return k;
}
inline std::string stream_prefix(std::string_view stream) {
  std::string k(stream);
  k += '\0';
  return k;
}
inline std::string merkle_key(merkle::NodeId id) {
  std::string k(1, static_cast<char>(id.level));
  put_be64(k, id.index);
  return k;
}
// In the blobs family beside the blob: an authority that uploaded it (empty value).
inline std::string blob_owner_key(std::string_view ref, std::string_view authority) {
  std::string k(ref);
  k += '\0';
  k += authority;
  return k;
}
inline std::string idempotency_key(std::string_view scope, std::string_view key) {
  std::string k(scope);
  k += '\0';
  k += key;
  return k;
}

}  // namespace certledger::store
