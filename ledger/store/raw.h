// The RocksDB handles behind an EventStore, for the store's own files (the
// sequencer's commits, batches, backups) and for tests and benchmarks that
// inject faults or measure raw RocksDB floors. Nothing else includes this
// header: the service reads and writes through EventStore's typed calls.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "ledger/store/event_store.h"

namespace certledger::store {

// RocksDB status -> Error. Disk-full and I/O errors map to unavailable so the
// API answers 503 and keeps the data.
Error rocks_error(const rocksdb::Status& s, std::string_view what);

struct Raw {
  static rocksdb::DB* db(const EventStore& s) { return s.db(); }
  // nullptr if no such family was opened.
  static rocksdb::ColumnFamilyHandle* family(const EventStore& s, std::string_view name) { return s.cf(name); }
  static Status put_sync(EventStore& s, std::string_view family, std::string_view key, std::string_view value) {
    return s.put_sync(family, key, value);
  }
};

}  // namespace certledger::store
