// Erasure of a holder's personal data (删除权, PIPL art. 47) by destroying
// the holder's data key: the signed holder.erased event first, then the key.
#include "ledger/domain/privacy.h"
#include "ledger/ledger.h"
#include "ledger/store/keys.h"
#include "ledger/util/random.h"

#include <set>

namespace certledger {

using nlohmann::json;

namespace {

Status check_text(const std::string& value, const char* name, size_t max_bytes) {
  if (value.empty()) return make_error(Errc::invalid_argument, std::string(name) + " is required", name);
  if (value.size() > max_bytes)
    return make_error(Errc::invalid_argument,
                      std::string(name) + " is longer than " + std::to_string(max_bytes) + " bytes", name);
  return {};
}

}  // namespace

Result<Outcome> Ledger::erase_holder(
    const std::string& code, const ErasureRequest& req,
    const std::function<Result<std::vector<std::string>>(const std::string&)>& certificates_of) {
  if (!sequencer_ || options_.replica)
    return make_error(Errc::unavailable, "this ledger does not accept commands (read-only or replica)");
  if (!authority(code)) return make_error(Errc::not_found, "no authority " + code);
  CL_TRY(check_text(req.legal_basis, "legal_basis", 400));
  CL_TRY(check_text(req.reason, "reason", 2000));
  if (req.in_force_reason.size() > 2000)
    return make_error(Errc::invalid_argument, "in_force_reason is longer than 2000 bytes", "in_force_reason");
  if (!vault_) return make_error(Errc::unavailable, "this ledger has no key vault");
  std::unique_lock erasing(erasure_mu_);  // no command seals under this holder meanwhile
  CL_ASSIGN(auto key, vault_->key(req.holder));
  if (!key || key->authority != code)
    return make_error(Errc::not_found, "no holder " + req.holder + " of " + code + " (never recorded, or erased)");
  const std::string stream = domain::holder_stream(req.holder);
  if (store_->head(stream).version > 0) return make_error(Errc::already_exists, "holder " + req.holder + " is erased");

  CL_ASSIGN(auto ids, certificates_of(req.holder));
  std::sort(ids.begin(), ids.end());
  const UnixMillis now = options_.clock();
  const Date today = china_date(now);
  std::vector<std::string> in_force;
  std::set<std::string> photos;  // every photo the holder's records name, found while the key opens them
  for (const auto& id : ids) {
    CL_ASSIGN(auto s, load(id));
    if (s.holder != req.holder)
      return make_error(Errc::internal, "certificate " + id + " is not the holder's (the holder index is stale)");
    if (!domain::is_terminal(s.status) && !s.expired(today)) in_force.push_back(id);
    for (const auto& sealed : s.sealed) {
      CL_ASSIGN(json opened, domain::open_sealed(sealed, key->key));
      if (auto ph = opened.find("photo"); ph != opened.end() && ph->is_string()) photos.insert(ph->get<std::string>());
    }
  }
  if (!in_force.empty() && req.in_force_reason.empty()) {
    std::string list;
    for (const auto& id : in_force) list += (list.empty() ? "" : ", ") + id;
    return make_error(Errc::rule_violation,
                      "certificates of the holder are still in force (" + list +
                          "): cancel them first, or give in_force_reason to erase the personal data anyway",
                      "in_force_reason");
  }
  domain::Event e;
  e.id = uuid_v7(now);
  e.type = std::string(domain::kHolderErased);
  e.stream = stream;
  e.seq = 1;
  e.actor = {{"operator", req.operator_id}, {"role", "approver"}, {"trail", json::array()}};
  e.time = now;
  e.data = {{"certificates", ids}, {"holder", req.holder}, {"legal_basis", req.legal_basis}, {"reason", req.reason}};
  if (!req.in_force_reason.empty()) {
    e.data["in_force"] = in_force;
    e.data["in_force_reason"] = req.in_force_reason;
  }
  CL_ASSIGN(auto out, append_event(code, std::move(e), {"erased/" + req.holder}, {}, Hash256{}));
  // The event is durable: the key goes now. Should this fail (or the
  // process stop here), the next open destroys it (reapply_erasures).
  CL_TRY(vault_->destroy(req.holder));
  for (const auto& ref : photos) {
    CL_TRY(store_->vault_erase({photo_use_key(ref, req.holder)}));
    bool used = false;
    CL_TRY(store_->scan_prefix(store::kCfVault, "p" + ref + '\0', [&](std::string_view, std::string_view) {
      used = true;
      return false;
    }));
    if (!used) CL_TRY(store_->erase_blob(ref, code));
  }
  return out;
}

// Every erased holder's key is gone from the vault, also after a restore
// from a backup taken before the erasure: the log's holder.erased events
// say which.
Status Ledger::reapply_erasures() {
  if (!vault_) return {};
  std::vector<std::string> erased;
  CL_TRY(store_->scan_prefix(store::kCfHeads, "holder:", [&](std::string_view stream, std::string_view) {
    erased.emplace_back(stream.substr(7));
    return true;
  }));
  for (const auto& ref : erased) {
    CL_ASSIGN(auto key, vault_->key(ref));
    if (key) CL_TRY(vault_->destroy(ref));
  }
  return {};
}

}  // namespace certledger
