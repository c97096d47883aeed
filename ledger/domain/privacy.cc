#include "ledger/domain/privacy.h"

#include "ledger/util/utf8.h"

namespace certledger::domain {

Privacy privacy_of(const KindDescriptor& kind, const FieldSpec& field) {
  if (field.type == FieldType::id_number || field.type == FieldType::photo) return Privacy::sensitive;
  if (kind.holder == HolderType::person &&
      (field.name == kind.holder_name_field || field.name == "gender" || field.name == "post"))
    return Privacy::personal;
  return Privacy::public_info;
}

PublicForm public_form_of(const KindDescriptor& kind, const FieldSpec& field) {
  if (field.type == FieldType::photo) return PublicForm::hidden;
  if (field.type == FieldType::id_number) return PublicForm::masked_id;
  if (kind.holder == HolderType::person && field.name == kind.holder_name_field) return PublicForm::masked_name;
  // Gender and post are printed on the certificate's face (seed 004) and
  // identify no one without the name and number, which are masked.
  return PublicForm::shown;
}

const char* privacy_name(Privacy p) {
  switch (p) {
    case Privacy::public_info: return "public";
    case Privacy::personal: return "personal";
    case Privacy::sensitive: return "sensitive";
  }
  return "?";
}

const char* public_form_name(PublicForm f) {
  switch (f) {
    case PublicForm::shown: return "shown";
    case PublicForm::masked_name: return "masked_name";
    case PublicForm::masked_id: return "masked_id";
    case PublicForm::hidden: return "hidden";
  }
  return "?";
}

std::optional<nlohmann::json> public_value(const KindDescriptor& kind, const FieldSpec& field,
                                           const nlohmann::json& value) {
  switch (public_form_of(kind, field)) {
    case PublicForm::hidden: return std::nullopt;
    case PublicForm::masked_id:
      return value.is_string() ? nlohmann::json(mask_id_number(value.get<std::string>())) : "";
    case PublicForm::masked_name:
      return value.is_string() ? nlohmann::json(mask_person_name(value.get<std::string>())) : "";
    case PublicForm::shown: return value;
  }
  return std::nullopt;
}

std::string mask_person_name(std::string_view name) {
  std::u32string cps = utf8_decode(name);
  if (cps.empty()) return {};
  std::string out = utf8_encode(cps.front());
  if (cps.size() == 1) return out;
  if (cps.size() == 2) return out + "*";
  for (size_t i = 1; i + 1 < cps.size(); ++i) out += "*";
  return out + utf8_encode(cps.back());
}

std::string mask_id_number(std::string_view id) {
  if (id.size() <= 10) return std::string(id.size(), '*');
  return std::string(id.substr(0, 6)) + std::string(id.size() - 10, '*') + std::string(id.substr(id.size() - 4));
}

}  // namespace certledger::domain
