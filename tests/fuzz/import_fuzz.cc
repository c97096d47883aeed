// Stock-conversion import rows: CSV (RFC 4180) and JSONL, as the import
// reads them before any row is executed.
#include "ops/common/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool jsonl = data[0] & 1;
  auto rows = certledger::ops::parse_import_text(std::string(reinterpret_cast<const char*>(data) + 1, size - 1), jsonl,
                                                 "design", "fuzz");
  if (rows.ok())
    for (const auto& r : *rows) (void)r.fields.dump();  // what executing a row would hash
  return 0;
}
