// The registry: authorities and their keys, as the log says they were at
// every position. Built by replaying the log's own registry events, so a
// verifier with nothing but the log (and a trusted log key) knows which key
// was valid for which event. Rotation never invalidates older events.
//
//   log.initialized        stream "log", seq 1, position 1, self-signed by the log key
//   authority.registered   stream "authority:<code>", signed by the log key
//   authority.key_added    ditto; the key is valid for positions after this event
//   authority.key_retired  ditto; the key is invalid for positions after this event
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/domain/certificate.h"
#include "ledger/domain/event.h"
#include "ledger/util/result.h"

namespace certledger {

inline constexpr std::string_view kLogStream = "log";
inline constexpr std::string_view kLogAuthority = "";  // events of the log itself

struct KeyRecord {
  std::string kid;        // "<authority>/k<n>" or "log/k<n>"
  std::string authority;  // empty for log keys
  crypto::PublicKey key;
  uint64_t added_at = 0;               // valid for positions > added_at
  std::optional<uint64_t> retired_at;  // invalid for positions > retired_at
};

class Registry {
 public:
  // True for event types this registry owns.
  static bool is_registry_event(std::string_view type);

  // Applies a registry event at `position`, signed by `kid`. Checks that the
  // signer may do this (log key for everything here) and that the event is
  // well-formed and in order. Does not verify the signature itself.
  Status apply(const domain::Event& e, uint64_t position, std::string_view kid);

  // The key `kid` if it may sign an event at `position` for `authority`
  // (log keys sign log and authority events; authority keys sign their own
  // authority's certificate and report events).
  Result<const KeyRecord*> signing_key(std::string_view kid, uint64_t position, std::string_view event_authority,
                                       std::string_view event_type) const;

  const domain::AuthorityInfo* authority(std::string_view code) const;
  std::vector<const domain::AuthorityInfo*> authorities() const;
  const KeyRecord* key(std::string_view kid) const;
  std::vector<const KeyRecord*> keys() const;
  // The newest unretired key of an authority ("" = the log), if any.
  std::optional<std::string> active_kid(std::string_view authority) const;
  // The next free kid for an authority ("GD-ZJT/k3").
  std::string next_kid(std::string_view authority) const;
  const std::string& origin() const { return origin_; }
  bool initialized() const { return !origin_.empty(); }

  // JWKS (RFC 7517) of every key with its validity, for /api/v1/keys.
  nlohmann::json jwks() const;

 private:
  std::string origin_;
  std::map<std::string, domain::AuthorityInfo, std::less<>> authorities_;
  std::map<std::string, KeyRecord, std::less<>> keys_;
};

// Event data builders for the registry events.
nlohmann::json key_data(std::string_view kid, const crypto::PublicKey& key);
nlohmann::json authority_data(const domain::AuthorityInfo& a);

}  // namespace certledger
