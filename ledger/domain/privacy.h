// What each certificate field is under the Personal Information Protection
// Law, and how the public sees it: one place for both (doc/domain.md,
// "Personal data"). Every public view goes through public_value: the QR
// answer and page, the public document copy, the masked view an
// institution gets, and the public status statement the state map commits
// to (whose bytes must not change for a log already written: the forms
// below are those statements have always used).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/jwe.h"
#include "ledger/domain/event.h"
#include "ledger/domain/kinds.h"
#include "ledger/util/result.h"

namespace certledger::domain {

enum class Privacy {
  public_info,  // 公开信息: an organisation's registered particulars, certificate data
  personal,     // 个人信息: a holder's name, gender, post
  sensitive,    // 敏感个人信息: 身份证号, the photo (biometric)
};

enum class PublicForm {
  shown,        // as recorded
  masked_name,  // 王*明, 李*
  masked_id,    // 110105********002X: the first 6 and last 4 characters at most
  hidden,       // not in any public view
};

Privacy privacy_of(const KindDescriptor& kind, const FieldSpec& field);
PublicForm public_form_of(const KindDescriptor& kind, const FieldSpec& field);
const char* privacy_name(Privacy p);  // public, personal, sensitive
const char* public_form_name(PublicForm f);

// The field's value as the public sees it; nullopt when hidden.
std::optional<nlohmann::json> public_value(const KindDescriptor& kind, const FieldSpec& field,
                                           const nlohmann::json& value);

std::string mask_person_name(std::string_view name);  // 王*明, 李*
std::string mask_id_number(std::string_view id);      // first 6 and last 4 at most

// ---- Sealing (event format 2, doc/event_format.md "Personal data") ----
//
// In a format-2 event of a person kind, `fields` (issue, convert) and
// `changes` (amend) hold each personal and sensitive field only in its
// public form (the masked name and ID number, gender and post as printed;
// no photo), and the member `personal` holds the values themselves:
//   {"commitments": {<field>: base64url(HMAC-SHA-256(salt, field 0x00 value))},
//    "holder": <holder reference>,
//    "jwe": <compact JWE, alg dir, enc A256GCM or SM4GCM, kid = holder,
//            cty certledger-personal+json; plaintext
//            {"fields": {<field>: value}, "salt": base64url(16 bytes)}>}
// under the holder's data key (ledger/vault.h). A public form is idempotent
// under public_value, so statements read the same for sealed and clear
// fields. After the holder is erased each personal field reads kErased.

inline constexpr std::string_view kErased = "已依法删除";
inline constexpr std::string_view kPersonalCty = "certledger-personal+json";

// A kind whose events seal fields: one with personal or sensitive fields.
bool seals_personal(const KindDescriptor& kind);
bool is_sealed_field(const KindDescriptor& kind, std::string_view field);

struct SealKey {
  std::string_view holder;
  crypto::Aead enc = crypto::Aead::a256gcm;
  std::string_view key;
};
// The member of an event's data that sealing applies to: `fields` of an
// issue or conversion, `changes` of an amendment, when it holds a sealed
// field of the kind; nullptr when nothing is to be sealed.
nlohmann::json* sealable_object(const KindDescriptor& kind, std::string_view event_type, nlohmann::json& data);
// Moves the sealed fields of `object` into the returned `personal` member
// and leaves their public forms in `object`. An object without sealed
// fields returns null (no member).
Result<nlohmann::json> seal_personal(const KindDescriptor& kind, nlohmann::json& object, const SealKey& key);
// The sealed fields of a `personal` member, each checked against its
// commitment.
Result<nlohmann::json> open_personal(const nlohmann::json& personal, std::string_view key);
// The sealed fields of a `personal` member's JWE alone (what a certificate's
// state keeps: the folding reader checked the member's shape; the JWE's
// tag authenticates its header and plaintext).
Result<nlohmann::json> open_sealed(std::string_view jwe, std::string_view key);
// A `personal` member's shape: holder, commitments, a JWE whose header is
// the one jwe_encrypt writes for the holder. What a reader checks without
// the key.
Status check_personal(const nlohmann::json& personal);
// base64url(HMAC-SHA-256(salt, field || 0x00 || value as compact JSON)).
std::string commitment(std::string_view salt, std::string_view field, const nlohmann::json& value);
// Whether an opening (value, salt) matches a `personal` member's commitment.
bool commitment_matches(const nlohmann::json& personal, std::string_view field, const nlohmann::json& value,
                        std::string_view salt);
// The erased form of fields: every sealed field of the kind kErased, the
// photo gone.
void erase_personal(const KindDescriptor& kind, nlohmann::json& fields);

// A holder.erased event (stream holder:<ref>): the holder and the
// certificates whose personal fields it erases, checked for shape.
struct Erasure {
  std::string holder;
  std::vector<std::string> certificates;
};
Result<Erasure> erasure_of(const Event& e);

}  // namespace certledger::domain
