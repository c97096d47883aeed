#include "ops/common/backup.h"

#include <filesystem>

#include "ledger/store/backup.h"

namespace certledger::ops {

namespace fs = std::filesystem;

namespace {

Status copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::exists(from)) return {};
  fs::create_directories(to, ec);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error(Errc::io_error, "copy " + from.string() + ": " + ec.message());
  fs::permissions(to, fs::perms::owner_all, ec);
  return {};
}

}  // namespace

Result<nlohmann::json> backup_data_dir(Ledger& ledger, const std::string& data_dir, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to), ec);
  fs::permissions(fs::path(to), fs::perms::owner_all, ec);
  // Keys first: a backup must never hold records signed by a key it lacks.
  CL_TRY(copy_tree(fs::path(data_dir) / "keys", fs::path(to) / "keys"));
  if (fs::exists(fs::path(data_dir) / "tokens.json"))
    fs::copy_file(fs::path(data_dir) / "tokens.json", fs::path(to) / "tokens.json",
                  fs::copy_options::overwrite_existing, ec);
  CL_ASSIGN(auto s, store::backup_store(ledger.store(), (fs::path(to) / "rocksdb").string()));
  return nlohmann::json{{"backup_id", s.backup_id}, {"bytes", s.bytes}, {"files", s.files},
                        {"last_position_at_start", s.last_position}, {"to", to}};
}

Result<AuditSummary> restore_data_dir(const std::string& from, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir) && !fs::is_empty(data_dir, ec))
    return make_error(Errc::already_exists, "restore target " + data_dir + " is not empty");
  CL_TRY(store::restore_store((fs::path(from) / "rocksdb").string(), (fs::path(data_dir) / "db").string()));
  CL_TRY(copy_tree(fs::path(from) / "keys", fs::path(data_dir) / "keys"));
  if (fs::exists(fs::path(from) / "tokens.json"))
    fs::copy_file(fs::path(from) / "tokens.json", fs::path(data_dir) / "tokens.json", ec);
  store::StoreOptions so;
  so.path = (fs::path(data_dir) / "db").string();
  so.read_only = true;
  CL_ASSIGN(auto s, store::EventStore::open(so));
  return audit_store(*s);
}

}  // namespace certledger::ops
