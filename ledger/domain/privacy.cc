#include "ledger/domain/privacy.h"

#include "ledger/util/encoding.h"
#include "ledger/util/json.h"
#include "ledger/util/json_scan.h"
#include "ledger/util/random.h"
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
  const PublicForm form = public_form_of(kind, field);
  // An erased field reads as erased (masking would cut the words up); a
  // public form (a sealed field's) masks to itself.
  if (form != PublicForm::hidden && value.is_string() && value.get_ref<const std::string&>() == kErased) return value;
  switch (form) {
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

bool is_sealed_field(const KindDescriptor& kind, std::string_view field) {
  const FieldSpec* spec = kind.field(field);
  return spec && privacy_of(kind, *spec) != Privacy::public_info;
}

bool seals_personal(const KindDescriptor& kind) {
  for (const auto& f : kind.fields)
    if (privacy_of(kind, f) != Privacy::public_info) return true;
  return false;
}

nlohmann::json* sealable_object(const KindDescriptor& kind, std::string_view event_type, nlohmann::json& data) {
  if (!seals_personal(kind)) return nullptr;
  const char* member = event_type == "certificate.issued" || event_type == "certificate.converted" ? "fields"
                       : event_type == "certificate.amended"                                       ? "changes"
                                                                                                   : nullptr;
  if (!member) return nullptr;
  auto it = data.find(member);
  if (it == data.end() || !it->is_object()) return nullptr;
  for (auto f = it->begin(); f != it->end(); ++f)
    if (is_sealed_field(kind, f.key())) return &*it;
  return nullptr;
}

std::string commitment(std::string_view salt, std::string_view field, const nlohmann::json& value) {
  std::string m(field);
  m += '\0';
  // Values are strings but for an odd one (json_append_string writes what
  // the strict dump would).
  if (value.is_string()) json_append_string(m, value.get_ref<const std::string&>());
  else m += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return base64url_encode(crypto::hmac_sha256(salt, m));
}

Result<nlohmann::json> seal_personal(const KindDescriptor& kind, nlohmann::json& object, const SealKey& key) {
  if (!object.is_object()) return nlohmann::json();
  nlohmann::json sealed = nlohmann::json::object();
  for (const auto& spec : kind.fields) {
    if (privacy_of(kind, spec) == Privacy::public_info) continue;
    auto it = object.find(std::string(spec.name));
    if (it == object.end()) continue;
    sealed[std::string(spec.name)] = *it;
    if (auto pub = public_value(kind, spec, *it)) *it = std::move(*pub);
    else object.erase(it);
  }
  if (sealed.empty()) return nlohmann::json();
  const std::string salt = random_bytes(16);
  nlohmann::json commitments = nlohmann::json::object();
  for (auto it = sealed.begin(); it != sealed.end(); ++it) commitments[it.key()] = commitment(salt, it.key(), *it);
  const nlohmann::json plain = {{"fields", std::move(sealed)}, {"salt", base64url_encode(salt)}};
  CL_ASSIGN(std::string jwe, crypto::jwe_encrypt(key.enc, key.key, key.holder, kPersonalCty, json_dump(plain)));
  return nlohmann::json{{"commitments", std::move(commitments)}, {"holder", key.holder}, {"jwe", std::move(jwe)}};
}

Status check_personal(const nlohmann::json& p) {
  auto bad = [](const std::string& why) { return make_error(Errc::invalid_argument, "personal: " + why, "personal"); };
  if (!p.is_object()) return bad("not an object");
  for (auto it = p.begin(); it != p.end(); ++it)
    if (it.key() != "commitments" && it.key() != "holder" && it.key() != "jwe")
      return bad("unknown member " + it.key());
  if (!p.contains("holder") || !p["holder"].is_string() || p["holder"].get_ref<const std::string&>().size() != 22 ||
      !base64url_decode(p["holder"].get_ref<const std::string&>()))
    return bad("holder is not 22 base64url characters");
  if (!p.contains("commitments") || !p["commitments"].is_object() || p["commitments"].empty())
    return bad("commitments is not a non-empty object");
  for (const auto& c : p["commitments"])
    if (!c.is_string() || c.get_ref<const std::string&>().size() != 43) return bad("a commitment is not 32 bytes");
  if (!p.contains("jwe") || !p["jwe"].is_string()) return bad("jwe is not a string");
  auto enc = crypto::check_dir_jwe(p["jwe"].get_ref<const std::string&>(), p["holder"].get_ref<const std::string&>(),
                                   kPersonalCty);
  if (!enc.ok()) return bad(enc.error().message);
  return {};
}

namespace {

// The plaintext of a sealed member's JWE: {"fields": {...}, "salt": ...}.
Result<nlohmann::json> open_plain(std::string_view jwe, std::string_view key) {
  CL_ASSIGN(std::string text, crypto::jwe_decrypt(key, jwe));
  auto plain = nlohmann::json::parse(text, nullptr, false);
  if (!plain.is_object() || !plain.contains("fields") || !plain["fields"].is_object() || !plain.contains("salt") ||
      !plain["salt"].is_string())
    return make_error(Errc::corruption, "personal: the sealed data is not {fields, salt}");
  return plain;
}

}  // namespace

Result<nlohmann::json> open_personal(const nlohmann::json& personal, std::string_view key) {
  CL_TRY(check_personal(personal));
  CL_ASSIGN(auto plain, open_plain(personal["jwe"].get_ref<const std::string&>(), key));
  auto salt = base64url_decode(plain["salt"].get_ref<const std::string&>());
  if (!salt) return make_error(Errc::corruption, "personal: the salt is not base64url");
  const auto& commitments = personal["commitments"];
  if (commitments.size() != plain["fields"].size())
    return make_error(Errc::corruption, "personal: the sealed fields and the commitments differ");
  for (auto it = plain["fields"].begin(); it != plain["fields"].end(); ++it)
    if (!commitment_matches(personal, it.key(), *it, *salt))
      return make_error(Errc::corruption, "personal: the sealed " + it.key() + " does not match its commitment");
  return std::move(plain["fields"]);
}

Result<nlohmann::json> open_sealed(std::string_view jwe, std::string_view key) {
  CL_ASSIGN(auto plain, open_plain(jwe, key));
  return std::move(plain["fields"]);
}

bool commitment_matches(const nlohmann::json& personal, std::string_view field, const nlohmann::json& value,
                        std::string_view salt) {
  auto c = personal.find("commitments");
  if (c == personal.end() || !c->is_object()) return false;
  auto it = c->find(std::string(field));
  return it != c->end() && it->is_string() &&
         crypto::equal_secret(it->get_ref<const std::string&>(), commitment(salt, field, value));
}

void erase_personal(const KindDescriptor& kind, nlohmann::json& fields) {
  if (!fields.is_object()) return;
  for (const auto& spec : kind.fields) {
    if (privacy_of(kind, spec) == Privacy::public_info) continue;
    auto it = fields.find(std::string(spec.name));
    if (it == fields.end()) continue;
    if (public_form_of(kind, spec) == PublicForm::hidden) fields.erase(it);
    else *it = kErased;
  }
}

Result<Erasure> erasure_of(const Event& e) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::corruption, "holder.erased at " + e.stream + ": " + why);
  };
  Erasure out;
  if (e.type != kHolderErased) return bad("not a holder.erased event");
  auto h = e.data.find("holder");
  if (h == e.data.end() || !h->is_string() || e.stream != holder_stream(h->get_ref<const std::string&>()))
    return bad("holder is not the stream's");
  if (e.seq != 1) return bad("a holder is erased once");
  out.holder = h->get<std::string>();
  auto c = e.data.find("certificates");
  if (c == e.data.end() || !c->is_array()) return bad("certificates is not a list");
  for (const auto& id : *c) {
    if (!id.is_string() || !is_certificate_id(id.get_ref<const std::string&>()))
      return bad("certificates holds something other than certificate ids");
    out.certificates.push_back(id.get<std::string>());
  }
  return out;
}

}  // namespace certledger::domain
