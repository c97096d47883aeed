#include "ledger/registry.h"

#include "ledger/domain/identifiers.h"

namespace certledger {

using nlohmann::json;

namespace {

Error bad(const domain::Event& e, std::string m) {
  return make_error(Errc::corruption, e.type + " (" + e.stream + "): " + std::move(m));
}

std::string authority_of_kid(std::string_view kid) {
  auto slash = kid.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(kid.substr(0, slash));
}

bool is_log_kid(std::string_view kid) { return kid.rfind("log/", 0) == 0; }

}  // namespace

bool Registry::is_registry_event(std::string_view t) {
  return t == "log.initialized" || t == "authority.registered" || t == "authority.key_added" ||
         t == "authority.key_retired";
}

json key_data(std::string_view kid, const crypto::PublicKey& key) {
  json jwk = key.jwk();
  jwk["kid"] = kid;
  jwk["alg"] = crypto::jws_alg(key.alg());
  return {{"kid", kid}, {"jwk", jwk}};
}

json authority_data(const domain::AuthorityInfo& a) {
  return {{"code", a.code}, {"name", a.name}, {"uscc", a.uscc}, {"region", a.region}, {"province", a.province}};
}

Status Registry::apply(const domain::Event& e, uint64_t position, std::string_view kid) {
  auto add_key = [&](const std::string& authority) -> Status {
    std::string new_kid = e.data.value("kid", "");
    if (authority_of_kid(new_kid) != (authority.empty() ? "log" : authority))
      return bad(e, "kid " + new_kid + " does not belong to " + (authority.empty() ? "the log" : authority));
    if (keys_.count(new_kid)) return bad(e, "key " + new_kid + " is added twice");
    auto pk = crypto::PublicKey::from_jwk(e.data.value("jwk", json::object()));
    if (!pk.ok()) return bad(e, pk.error().message);
    keys_.emplace(new_kid, KeyRecord{new_kid, authority, std::move(*pk), position, std::nullopt});
    return {};
  };

  if (e.type == "log.initialized") {
    if (position != 1 || e.stream != kLogStream || e.seq != 1) return bad(e, "must be the first event of the log");
    origin_ = e.data.value("origin", "");
    if (origin_.empty()) return bad(e, "missing origin");
    CL_TRY(add_key(""));
    // Self-signed: the key it introduces signs it, and is valid from here on.
    if (e.data.value("kid", "") != kid) return bad(e, "must be signed by the key it introduces");
    keys_.at(std::string(kid)).added_at = 0;
    return {};
  }
  if (!initialized()) return bad(e, "registry event before log.initialized");
  if (!is_log_kid(kid)) return bad(e, "registry events must be signed by the log key");
  const std::string code = e.authority;
  if (e.stream != domain::authority_stream(code)) return bad(e, "wrong stream for authority " + code);

  if (e.type == "authority.registered") {
    CL_TRY(domain::check_authority_code(code));
    if (authorities_.count(code)) return bad(e, "authority " + code + " registered twice");
    domain::AuthorityInfo a{code, e.data.value("name", ""), e.data.value("uscc", ""), e.data.value("region", ""),
                            e.data.value("province", "")};
    if (a.name.empty()) return bad(e, "authority without a name");
    if (!a.uscc.empty() && !domain::check_uscc(a.uscc).ok()) return bad(e, "authority USCC is invalid");
    authorities_.emplace(code, std::move(a));
    return {};
  }
  if (!authorities_.count(code)) return bad(e, "authority " + code + " is not registered");
  if (e.type == "authority.key_added") return add_key(code);
  if (e.type == "authority.key_retired") {
    auto it = keys_.find(e.data.value("kid", ""));
    if (it == keys_.end() || it->second.authority != code) return bad(e, "retiring an unknown key");
    if (it->second.retired_at) return bad(e, "key retired twice");
    it->second.retired_at = position;
    return {};
  }
  return bad(e, "unknown registry event");
}

Result<const KeyRecord*> Registry::signing_key(std::string_view kid, uint64_t position,
                                               std::string_view event_authority, std::string_view event_type) const {
  auto it = keys_.find(kid);
  if (it == keys_.end())
    return make_error(Errc::corruption, "unknown key " + std::string(kid) + " at position " + std::to_string(position));
  const KeyRecord& k = it->second;
  if (position <= k.added_at)
    return make_error(Errc::corruption, "key " + k.kid + " used at position " + std::to_string(position) +
                                            " before it was added at " + std::to_string(k.added_at));
  if (k.retired_at && position > *k.retired_at)
    return make_error(Errc::corruption, "key " + k.kid + " used at position " + std::to_string(position) +
                                            " after it was retired at " + std::to_string(*k.retired_at));
  if (k.authority.empty() != is_registry_event(event_type))
    return make_error(Errc::corruption, "key " + k.kid + " may not sign " + std::string(event_type) +
                                            " (the log key signs registry events, authority keys "
                                            "sign everything else)");
  if (!k.authority.empty() && k.authority != event_authority)
    return make_error(Errc::corruption, "key " + k.kid + " of " + k.authority + " signed an event of authority " +
                                            std::string(event_authority));
  return &k;
}

const domain::AuthorityInfo* Registry::authority(std::string_view code) const {
  auto it = authorities_.find(code);
  return it == authorities_.end() ? nullptr : &it->second;
}

std::vector<const domain::AuthorityInfo*> Registry::authorities() const {
  std::vector<const domain::AuthorityInfo*> out;
  for (const auto& [c, a] : authorities_) out.push_back(&a);
  return out;
}

const KeyRecord* Registry::key(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<const KeyRecord*> Registry::keys() const {
  std::vector<const KeyRecord*> out;
  for (const auto& [k, r] : keys_) out.push_back(&r);
  return out;
}

std::optional<std::string> Registry::active_kid(std::string_view authority) const {
  const KeyRecord* best = nullptr;
  for (const auto& [k, r] : keys_)
    if (r.authority == authority && !r.retired_at && (!best || r.added_at > best->added_at)) best = &r;
  if (!best) return std::nullopt;
  return best->kid;
}

std::string Registry::next_kid(std::string_view authority) const {
  std::string prefix = authority.empty() ? "log" : std::string(authority);
  for (int n = 1;; ++n) {
    std::string kid = prefix + "/k" + std::to_string(n);
    if (!keys_.count(kid)) return kid;
  }
}

json Registry::jwks() const {
  json keys = json::array();
  for (const auto& [kid, r] : keys_) {
    json k = r.key.jwk();
    k["kid"] = kid;
    k["alg"] = crypto::jws_alg(r.key.alg());
    k["use"] = "sig";
    k["authority"] = r.authority.empty() ? json(nullptr) : json(r.authority);
    k["valid_after_position"] = r.added_at;
    k["retired_at_position"] = r.retired_at ? json(*r.retired_at) : json(nullptr);
    keys.push_back(std::move(k));
  }
  return {{"keys", keys}};
}

}  // namespace certledger
