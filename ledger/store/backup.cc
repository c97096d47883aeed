#include "ledger/store/backup.h"
#include "ledger/store/raw.h"

#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>

namespace certledger::store {

Result<BackupSummary> backup_store(const EventStore& store, const std::string& backup_dir) {
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions opts(backup_dir);
  opts.sync = true;
  auto st = rocksdb::BackupEngine::Open(opts, rocksdb::Env::Default(), &raw);
  if (!st.ok()) return rocks_error(st, "open backup dir " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  BackupSummary s;
  s.last_position = store.last_position();
  rocksdb::CreateBackupOptions co;
  co.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  st = engine->CreateNewBackup(co, Raw::db(store), &id);
  if (!st.ok()) return rocks_error(st, "backup");
  rocksdb::BackupInfo info;
  if (engine->GetBackupInfo(id, &info).ok()) {
    s.bytes = info.size;
    s.files = info.number_files;
  }
  s.backup_id = id;
  return s;
}

Status restore_store(const std::string& backup_dir, const std::string& db_dir) {
  std::error_code ec;
  if (std::filesystem::exists(db_dir) && !std::filesystem::is_empty(db_dir, ec))
    return make_error(Errc::already_exists, "restore target " + db_dir + " is not empty");
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  auto st =
      rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!st.ok()) return rocks_error(st, "open backup dir " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::filesystem::create_directories(db_dir, ec);
  st = engine->RestoreDBFromLatestBackup(db_dir, db_dir);
  if (!st.ok()) return rocks_error(st, "restore");
  return {};
}

}  // namespace certledger::store
