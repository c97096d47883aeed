// Stock conversion (换发) of paper certificates still in force: CSV or JSONL
// in, one `convert` event per row. Each row is validated and appended on its
// own (a bad row is reported with its line number and reason and never half
// applied); an idempotency key derived from the row makes a re-run of the
// same file append nothing twice.
//
// JSONL: one object per line, {"kind": "...", "fields": {...}} (kind may be
// left out when --kind is given). CSV (RFC 4180, UTF-8): a header row of
// field names (code names like `holder_name`, or the printed labels like
// 企业名称), an optional `kind` column; list fields separate items with
// "；", ";" or "|". A photo cell is a file path relative to the input file,
// or a data: URL.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace certledger::ops {

struct ImportReport {
  size_t rows = 0, converted = 0, skipped = 0, rejected = 0;
  std::vector<std::pair<size_t, std::string>> errors;  // line, reason
  nlohmann::json to_json() const;
};

struct ImportOptions {
  std::string authority;
  std::string operator_id = "import";
  domain::Role role = domain::Role::reviewer;  // convert records no new decision
  std::string kind;                            // default kind for rows without one
  std::function<void(size_t done, size_t total)> progress;
};

Result<ImportReport> import_file(Ledger& ledger, const std::string& path, const ImportOptions& options);

// Exposed for tests: rows as (line number, kind, fields or a parse error).
struct ImportRow {
  size_t line = 0;
  std::string kind;
  nlohmann::json fields;
  std::string error;
};
Result<std::vector<ImportRow>> read_import_file(const std::string& path, const std::string& default_kind);
// The same from the file's text (JSONL or CSV); `source` names it in errors.
Result<std::vector<ImportRow>> parse_import_text(std::string text, bool jsonl, const std::string& default_kind,
                                                 const std::string& source);

}  // namespace certledger::ops
