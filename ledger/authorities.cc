// The registry's admin side: authorities and their keys, recorded as
// registry events on the log (ledger/registry.h replays them).
#include "ledger/ledger.h"

#include "ledger/domain/identifiers.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/util/encoding.h"
#include "ledger/util/random.h"

namespace certledger {

using nlohmann::json;

Result<Outcome> Ledger::append_registry_event(const std::string& authority, const std::string& type, json data,
                                              const std::string& operator_id) {
  auto log_kid = [&] {
    std::shared_lock lock(registry_mu_);
    return registry_.active_kid("");
  }();
  if (!log_kid) return make_error(Errc::unavailable, "no active log key");
  const std::string stream = domain::authority_stream(authority);
  store::StreamHead head = store_->head(stream);
  const UnixMillis now = options_.clock();
  domain::Event e;
  e.id = uuid_v7(now);
  e.type = type;
  e.stream = stream;
  e.seq = head.version + 1;
  e.authority = authority;
  e.actor = {
      {"operator", operator_id.empty() ? "ledgerctl" : operator_id}, {"role", "admin"}, {"trail", json::array()}};
  e.time = now;
  e.data = std::move(data);
  e.prev = head.version ? hex_encode(std::string_view(reinterpret_cast<const char*>(head.hash.data()), 32)) : "";
  return sign_and_append(std::move(e), *log_kid, {}, {}, Hash256{});
}

Result<std::string> Ledger::register_authority(const domain::AuthorityInfo& info, crypto::KeyAlg alg,
                                               const std::string& operator_id) {
  std::lock_guard admin(admin_mu_);
  CL_TRY(domain::check_authority_code(info.code));
  if (info.name.empty()) return make_error(Errc::invalid_argument, "authority name is required", "name");
  if (!info.uscc.empty()) {
    auto st = domain::check_uscc(info.uscc);
    if (!st.ok()) return make_error(Errc::invalid_argument, st.error().message, "uscc");
  }
  if (info.region.size() != 6 || info.region.find_first_not_of("0123456789") != std::string::npos)
    return make_error(Errc::invalid_argument, "region must be a 6-digit administrative area code", "region");
  if (authority(info.code))
    return make_error(Errc::already_exists, "authority " + info.code + " is already registered");
  std::string kid;
  {
    std::shared_lock lock(registry_mu_);
    kid = registry_.next_kid(info.code);
  }
  CL_ASSIGN(auto key, keys_->read_or_create(kid, alg));
  CL_TRY(append_registry_event(info.code, "authority.registered", authority_data(info), operator_id));
  CL_TRY(append_registry_event(info.code, "authority.key_added", key_data(kid, key.public_key()), operator_id));
  keys_->hold(kid, std::make_shared<crypto::PrivateKey>(std::move(key)));
  return kid;
}

Result<std::string> Ledger::rotate_key(const std::string& code, crypto::KeyAlg alg, const std::string& operator_id) {
  std::lock_guard admin(admin_mu_);
  if (!authority(code)) return make_error(Errc::not_found, "no authority " + code);
  std::optional<std::string> old;
  std::string kid;
  {
    std::shared_lock lock(registry_mu_);
    old = registry_.active_kid(code);
    kid = registry_.next_kid(code);
  }
  CL_ASSIGN(auto key, keys_->read_or_create(kid, alg));
  keys_->hold(kid, std::make_shared<crypto::PrivateKey>(key));
  CL_TRY(append_registry_event(code, "authority.key_added", key_data(kid, key.public_key()), operator_id));
  if (old) {
    CL_TRY(append_registry_event(code, "authority.key_retired", {{"kid", *old}, {"reason", "rotated"}}, operator_id));
    keys_->release(*old);
  }
  return kid;
}

std::optional<domain::AuthorityInfo> Ledger::authority(const std::string& code) const {
  std::shared_lock lock(registry_mu_);
  const auto* a = registry_.authority(code);
  if (!a) return std::nullopt;
  return *a;
}

bool Ledger::has_active_key(const std::string& code) const {
  std::shared_lock lock(registry_mu_);
  return registry_.active_kid(code).has_value();
}

std::vector<domain::AuthorityInfo> Ledger::authorities() const {
  std::shared_lock lock(registry_mu_);
  std::vector<domain::AuthorityInfo> out;
  for (const auto* a : registry_.authorities()) out.push_back(*a);
  return out;
}

json Ledger::jwks() const {
  std::shared_lock lock(registry_mu_);
  return registry_.jwks();
}

std::string Ledger::origin() const {
  std::shared_lock lock(registry_mu_);
  return registry_.origin();
}

std::string Ledger::log_verifier_key() const {
  std::shared_lock lock(registry_mu_);
  auto kid = registry_.active_kid("");
  if (!kid) return {};
  return merkle::note_verifier_key(registry_.origin(), registry_.key(*kid)->key);
}

}  // namespace certledger
