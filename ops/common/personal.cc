#include "ops/common/personal.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/domain/privacy.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"

namespace certledger::ops {

using nlohmann::json;

Result<std::vector<Recipient>> read_recipients(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_recipients(ss.str(), path);
}

Result<std::vector<Recipient>> parse_recipients(std::string_view text, std::string_view origin) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, std::string(origin) + ": " + why);
  };
  auto parsed = parse_json(text, "the recipients file");
  if (!parsed.ok()) return bad(parsed.error().message);
  const json& j = *parsed;
  if (!j.is_array()) return bad("not a JSON list of recipients");
  std::vector<Recipient> out;
  std::set<std::string> names;
  for (const auto& r : j) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
        (r.contains("x25519") == r.contains("sm2")) || (r.contains("x25519") && !r["x25519"].is_string()))
      return bad("each recipient is {\"name\", \"x25519\" or \"sm2\", \"authorities\"}");
    Recipient rec;
    rec.name = r["name"].get<std::string>();
    if (rec.name.empty() || rec.name.size() > 100) return bad("a recipient's name is 1 to 100 bytes");
    if (!names.insert(rec.name).second) return bad("recipient " + rec.name + " is named twice");
    if (r.contains("sm2")) {
      auto k = crypto::PublicKey::from_jwk(r["sm2"]);
      if (!k.ok() || k->alg() != crypto::KeyAlg::sm2)
        return bad("recipient " + rec.name + ": sm2 is not an SM2 public JWK");
      rec.sm2 = std::move(*k);
    } else {
      auto key = base64url_decode(r["x25519"].get<std::string>());
      if (!key || key->size() != 32) return bad("recipient " + rec.name + ": x25519 is not 32 bytes of base64url");
      rec.public_key = *key;
    }
    if (r.contains("authorities")) {
      if (!r["authorities"].is_array()) return bad("recipient " + rec.name + ": authorities is not a list");
      for (const auto& a : r["authorities"]) {
        if (!a.is_string()) return bad("recipient " + rec.name + ": an authority is not a string");
        rec.authorities.insert(a.get<std::string>());
      }
    }
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::optional<std::string>> HolderKeyPublisher::message_value(const HolderKey& key) const {
  json recipients = json::object();
  for (const auto& r : recipients_) {
    if (!r.authorities.empty() && !r.authorities.count(key.authority)) continue;
    CL_ASSIGN(std::string jwe, r.sm2 ? crypto::jwe_sm2_encrypt(*r.sm2, r.name, key.key)
                                     : crypto::jwe_ecdh_es_encrypt(r.public_key, r.name, key.key));
    recipients[r.name] = std::move(jwe);
  }
  if (recipients.empty()) return std::optional<std::string>();
  json v = {{"authority", key.authority},
            {"enc", crypto::aead_name(key.enc)},
            {"holder", key.ref},
            {"recipients", std::move(recipients)}};
  return std::optional<std::string>(v.dump());
}

std::vector<KeySource::Message> HolderKeyPublisher::messages(std::string_view record, const domain::RecordEnvelope& e) {
  const std::string& type = e.event.type;
  if (type == domain::kHolderErased) return {{e.event.stream.substr(7), std::nullopt}};  // "holder:" ref
  if (type != "certificate.issued" && type != "certificate.converted" && type != "certificate.amended") return {};
  const auto* kind = domain::find_kind(e.event.kind);
  if (!kind || !domain::seals_personal(*kind) || !ledger_.vault()) return {};
  auto full = domain::decode_record(e.position, std::string(record));
  if (!full.ok()) return {};
  auto p = full->event.data.find("personal");
  if (p == full->event.data.end() || !p->is_object() || !p->contains("holder")) return {};
  const std::string holder = (*p)["holder"].get<std::string>();
  auto key = ledger_.vault()->key(holder);
  if (!key.ok()) return {};
  if (!*key) return {{holder, std::nullopt}};  // erased since
  auto value = message_value(**key);
  if (!value.ok() || !*value) return {};
  return {{holder, std::move(**value)}};
}

Status receive_key(Ledger& ledger, std::string_view name, std::string_view holder,
                   std::optional<std::string_view> value) {
  KeyVault* vault = ledger.vault();
  if (!vault) return make_error(Errc::unavailable, "this replica has no key vault");
  if (holder.size() != 22 || !base64url_decode(holder))
    return make_error(Errc::invalid_argument,
                      "a keys message's key is not a holder reference (22 base64url characters)");
  if (!value) {
    CL_ASSIGN(auto k, vault->key(holder));
    if (k) CL_TRY(vault->destroy(holder));
    return {};
  }
  auto malformed = [&] {
    return make_error(Errc::invalid_argument, "a keys message of holder " + std::string(holder) + " is malformed");
  };
  auto parsed = parse_json(*value, "a keys message");
  if (!parsed.ok()) return malformed();
  const json& j = *parsed;
  auto text = [&](const char* member) -> const std::string* {
    auto it = j.find(member);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  if (!j.is_object() || !text("holder") || *text("holder") != holder || !text("authority") || !text("enc") ||
      !j.contains("recipients") || !j["recipients"].is_object())
    return malformed();
  auto mine = j["recipients"].find(std::string(name));
  if (mine == j["recipients"].end() || !mine->is_string()) return {};             // not for this replica
  if (ledger.store().head(domain::holder_stream(holder)).version > 0) return {};  // erased: never again
  CL_ASSIGN(std::string key, vault->open_received(mine->get<std::string>()));
  HolderKey k;
  k.ref = std::string(holder);
  k.authority = *text("authority");
  CL_ASSIGN(k.enc, crypto::parse_aead(*text("enc")));
  k.key = std::move(key);
  return vault->import(k);
}

}  // namespace certledger::ops
