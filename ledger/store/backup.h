// Online backups of the store with RocksDB's BackupEngine: consistent
// while the writer keeps appending (files are hard-linked or copied from a
// point-in-time set), incremental across backups in the same directory.
#pragma once

#include <string>

#include "ledger/store/event_store.h"

namespace certledger::store {

struct BackupSummary {
  uint32_t backup_id = 0;
  uint64_t bytes = 0;
  uint32_t files = 0;
  uint64_t last_position = 0;  // at least this much is in the backup
};

Result<BackupSummary> backup_store(const EventStore& store, const std::string& backup_dir);
// Restores the latest backup into an empty (or absent) db directory.
Status restore_store(const std::string& backup_dir, const std::string& db_dir);

}  // namespace certledger::store
