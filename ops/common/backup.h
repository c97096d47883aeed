// Backups of a whole data dir: the store (online, via BackupEngine) plus the
// key files and the token file. Restores go into an empty directory and are
// followed by a full audit.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/audit.h"
#include "ledger/ledger.h"

namespace certledger::ops {

// REQUIRES: `ledger` is open on `data_dir` (ledgerd, or ledgerctl offline).
// `to` is created 0700 if absent; an existing directory keeps its mode (a
// second backup into the same directory is incremental).
Result<nlohmann::json> backup_data_dir(Ledger& ledger, const std::string& data_dir, const std::string& to);
// A backup into a new directory `name` under `root` (the HTTP route's form):
// `name` is one path component of letters, digits, '.', '_' and '-'; the
// directory must not exist or be empty (already_exists otherwise).
Result<nlohmann::json> backup_under(Ledger& ledger, const std::string& data_dir, const std::string& root,
                                    const std::string& name);
// Restores into `data_dir` (must not exist or be empty), then audits it.
Result<AuditSummary> restore_data_dir(const std::string& from, const std::string& data_dir);

}  // namespace certledger::ops
