#include "ops/common/backup.h"

#include <filesystem>

#include "ledger/store/backup.h"
#include "ops/common/setup.h"

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
  if (!fs::exists(to, ec)) {
    fs::create_directories(fs::path(to), ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + to + ": " + ec.message());
    fs::permissions(fs::path(to), fs::perms::owner_all, ec);
  }
  // Keys first: a backup must never hold records signed by a key it lacks.
  CL_TRY(copy_tree(fs::path(data_dir) / "keys", fs::path(to) / "keys"));
  if (fs::exists(fs::path(data_dir) / "tokens.json"))
    fs::copy_file(fs::path(data_dir) / "tokens.json", fs::path(to) / "tokens.json",
                  fs::copy_options::overwrite_existing, ec);
  CL_ASSIGN(auto s, store::backup_store(ledger.store(), (fs::path(to) / "rocksdb").string()));
  return nlohmann::json{{"backup_id", s.backup_id},
                        {"bytes", s.bytes},
                        {"files", s.files},
                        {"last_position_at_start", s.last_position},
                        {"to", to}};
}

Result<nlohmann::json> backup_under(Ledger& ledger, const std::string& data_dir, const std::string& root,
                                    const std::string& name) {
  const bool plain =
      !name.empty() && name.size() <= 100 && name != "." && name != ".." &&
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
  if (!plain)
    return make_error(Errc::invalid_argument,
                      "a backup is named by one path component of letters, digits, '.', '_' and '-' (at most 100)",
                      "to");
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    fs::create_directories(root, ec);
    if (ec) return make_error(Errc::io_error, "cannot create the backup root " + root + ": " + ec.message());
    fs::permissions(root, fs::perms::owner_all, ec);
  }
  const fs::path to = fs::path(root) / name;
  if (fs::exists(to, ec) && (!fs::is_directory(to, ec) || !fs::is_empty(to, ec)))
    return make_error(Errc::already_exists, "backup " + name + " exists already: choose a new name", "to");
  CL_ASSIGN(auto out, backup_data_dir(ledger, data_dir, to.string()));
  out["to"] = name;
  return out;
}

Result<AuditSummary> restore_data_dir(const std::string& from, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir) && !fs::is_empty(data_dir, ec))
    return make_error(Errc::already_exists, "restore target " + data_dir + " is not empty");
  CL_TRY(store::restore_store((fs::path(from) / "rocksdb").string(), (fs::path(data_dir) / "db").string()));
  CL_TRY(copy_tree(fs::path(from) / "keys", fs::path(data_dir) / "keys"));
  if (fs::exists(fs::path(from) / "tokens.json"))
    fs::copy_file(fs::path(from) / "tokens.json", fs::path(data_dir) / "tokens.json", ec);
  {
    // Opened once for writing (nothing is appended: as a replica, no key
    // signs): the keys of holders the log erased after the backup was
    // taken are destroyed now (Ledger::open re-applies the log's erasures),
    // before anything reads the restored dir.
    OpenOptions o;
    o.data_dir = data_dir;
    o.replica = true;
    CL_ASSIGN(auto opened, open_data_dir(o));
  }
  store::StoreOptions so;
  so.path = (fs::path(data_dir) / "db").string();
  so.read_only = true;
  CL_ASSIGN(auto s, store::EventStore::open(so));
  return audit_store(*s);
}

}  // namespace certledger::ops
