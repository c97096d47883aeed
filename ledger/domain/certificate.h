// The certificate aggregate: its state as a fold over its own stream, and
// the decider that turns a command into the next event (or a precise error).
// Both are pure: time, randomness and the authority come in as arguments.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/domain/event.h"
#include "ledger/domain/kinds.h"
#include "ledger/domain/lifecycle.h"
#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::domain {

struct CertificateState {
  bool exists = false;
  std::string id;
  std::string kind;
  std::string authority;
  CertStatus status = CertStatus::active;
  nlohmann::json fields = nlohmann::json::object();
  uint32_t doc_version = 0;  // document version: 1 at issue, +1 per amend/reissue/renew/review
  std::string token;         // QR token of the current document version
  std::string elicense;      // 电子证照标识 of the current document version
  uint64_t stream_version = 0;
  std::string last_hash;  // hex SHA-256 of the stream's last signed record
  std::string status_reason;
  UnixMillis status_time = 0;
  std::string suspended_until;  // YYYY-MM-DD or empty
  // Sealed personal data (format 2, domain/privacy.h): the holder
  // reference and the JWE of each event's `personal` member, in order;
  // `fields` holds their public forms.
  std::string holder;
  std::vector<std::string> sealed;
  bool erased = false;  // the holder was erased: the personal fields read kErased

  std::optional<Date> valid_until() const;
  bool expired(Date today) const;
  LifecycleState lifecycle(Date today) const;
};

// Folds one event into the state. Rejects an event that does not follow
// (wrong stream, seq, prev hash, or a type the lifecycle forbids): a replayed
// log that fails here is corrupt.
Status apply_event(CertificateState& state, const Event& event, std::string_view record_hash_hex);

// The fields with the sealed personal data opened under the holder's data
// key (the first `upto` sealed members; all by default). The key is the
// caller's to have: a reader without it sees the public forms.
Result<nlohmann::json> unsealed_fields(const CertificateState& state, std::string_view key,
                                       size_t upto = static_cast<size_t>(-1));
// The state with `fields` opened (for deciding a command on it).
Result<CertificateState> unsealed(CertificateState state, std::string_view key);

struct AuthorityInfo {
  std::string code;      // GD-ZJT
  std::string name;      // 广东省住房和城乡建设厅
  std::string uscc;      // the authority's 统一社会信用代码 (issuer code of 电子证照标识)
  std::string region;    // 6-digit administrative area code, 440000
  std::string province;  // 粤
};

struct ApprovalStep {
  std::string step;  // clerk, first_review, review, approve, documents (seed 000)
  std::string operator_id;
  std::string opinion;
};

struct Actor {
  std::string operator_id;
  Role role = Role::approver;
  std::vector<ApprovalStep> trail;
};

struct CommandInput {
  CommandType type = CommandType::issue;
  std::string certificate_id;  // for issue/convert: the new id, chosen by the caller
  std::string kind;            // issue/convert
  nlohmann::json fields;       // issue/convert: every field of the kind
  nlohmann::json changes;      // amend: field -> new value
  std::string reason;          // amend reason code; reissue lost|damaged; status change text
  std::string valid_from;      // renew/review (optional)
  std::string valid_until;     // renew/review
  std::string until;           // suspend (optional end date)
  std::string decision;        // 决定书文号 (optional)
  Actor actor;
};

struct DecideContext {
  UnixMillis now = 0;
  const AuthorityInfo* authority = nullptr;
  std::function<std::string()> new_token;  // a fresh public QR token
};

struct Decision {
  std::string type;                        // event type
  nlohmann::json data;                     // event data
  nlohmann::json actor;                    // event actor
  std::vector<std::string> unique_claims;  // keys that must be unclaimed ledger-wide
};

Result<Decision> decide(const CertificateState& state, const CommandInput& cmd, const DecideContext& ctx);

// The claim key that keeps business numbers unique per kind and authority.
std::string number_claim(std::string_view authority, std::string_view kind, std::string_view number);
// The claims an event takes, derived from the event alone (replicas rebuild
// the same claims as the primary's decide() made).
std::vector<std::string> event_claims(const Event& e);

// 电子证照标识 of a certificate version.
Result<std::string> elicense_for(const KindDescriptor& kind, const AuthorityInfo& authority,
                                 std::string_view certificate_id, uint32_t doc_version);

}  // namespace certledger::domain
