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

#include "ledger/domain/kinds.h"

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

}  // namespace certledger::domain
