#include "ledger/store/batch.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "ledger/store/event_store.h"
#include "ledger/store/raw.h"

namespace certledger::store {

namespace {

// Appends a family's staged writes in key order: the memtable takes sorted
// inserts fastest.
void append_in_key_order(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* handle, const StagedMap& entries) {
  std::vector<const StagedMap::value_type*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* e : sorted) {
    if (e->second) batch.Put(handle, e->first, *e->second);
    else batch.Delete(handle, e->first);
  }
}

}  // namespace

std::optional<std::string> BatchWriter::get(std::string_view cf, std::string_view key) const {
  if (memory_) return memory_->get(cf, key);
  std::string value;
  switch (group_->find(cf, key, &value)) {
    case GroupBatch::Lookup::found: return value;
    case GroupBatch::Lookup::deleted: return std::nullopt;
    case GroupBatch::Lookup::absent: break;
  }
  return store_.get(cf, key);
}

void BatchWriter::put(std::string_view cf, std::string_view key, std::string_view value) {
  if (memory_) return memory_->put(cf, key, value);
  group_->put(cf, key, value);
}

void BatchWriter::del(std::string_view cf, std::string_view key) {
  if (memory_) return memory_->del(cf, key);
  group_->del(cf, key);
}

GroupBatch::GroupBatch(EventStore& store, const GroupBatch* below)
    : store_(store), below_(below), batch_(std::make_unique<rocksdb::WriteBatch>()) {}

GroupBatch::~GroupBatch() = default;

GroupBatch::Family& GroupBatch::family(std::string_view cf) {
  rocksdb::ColumnFamilyHandle* h = Raw::family(store_, cf);
  for (auto& f : families_)
    if (f.handle == h) return f;
  families_.push_back(Family{h, {}});
  return families_.back();
}

const StagedMap* GroupBatch::find_family(rocksdb::ColumnFamilyHandle* handle) const {
  for (const auto& f : families_)
    if (f.handle == handle) return &f.last;
  return nullptr;
}

GroupBatch::Lookup GroupBatch::find(std::string_view cf, std::string_view key, std::string* value) const {
  rocksdb::ColumnFamilyHandle* h = Raw::family(store_, cf);
  for (const GroupBatch* g = this; g; g = g->below_) {
    const StagedMap* m = g->find_family(h);
    if (!m) continue;
    auto it = m->find(key);
    if (it == m->end()) continue;
    if (!it->second) return Lookup::deleted;
    *value = *it->second;
    return Lookup::found;
  }
  return Lookup::absent;
}

void GroupBatch::record(std::string_view cf, std::string_view key, std::optional<std::string> value) {
  StagedMap& m = family(cf).last;
  auto it = m.find(key);
  if (saving_) {
    if (it == m.end()) undo_.push_back(Undo{&m, std::string(key), std::nullopt});
    else undo_.push_back(Undo{&m, std::string(key), it->second});
  }
  if (it == m.end()) m.emplace(std::string(key), std::move(value));
  else it->second = std::move(value);
}

void GroupBatch::put(std::string_view cf, std::string_view key, std::string_view value) {
  record(cf, key, std::string(value));
}

void GroupBatch::del(std::string_view cf, std::string_view key) { record(cf, key, std::nullopt); }

void GroupBatch::set_save_point() {
  saving_ = true;
  undo_.clear();
}

void GroupBatch::rollback_to_save_point() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->before) (*it->map)[it->key] = std::move(*it->before);
    else it->map->erase(it->key);
  }
  undo_.clear();
  saving_ = false;
}

void GroupBatch::pop_save_point() {
  undo_.clear();
  saving_ = false;
}

void GroupBatch::seal() {
  batch_->Clear();
  for (const auto& f : families_) append_in_key_order(*batch_, f.handle, f.last);
}

MemoryBatch::MemoryBatch(EventStore& store, const std::vector<std::string>& empty_families) : store_(store) {
  for (const auto& f : empty_families) family(f).db_empty = true;
}

MemoryBatch::Family& MemoryBatch::family(std::string_view cf) {
  for (auto& f : families_)
    if (f.name == cf) return f;
  families_.push_back(Family{std::string(cf), false, {}});
  return families_.back();
}

const MemoryBatch::Family* MemoryBatch::find_family(std::string_view cf) const {
  for (const auto& f : families_)
    if (f.name == cf) return &f;
  return nullptr;
}

std::optional<std::string> MemoryBatch::get(std::string_view cf, std::string_view key) const {
  const Family* f = find_family(cf);
  if (f)
    if (auto it = f->entries.find(key); it != f->entries.end()) return it->second;
  if (below_)
    if (const Family* b = below_->find_family(cf))
      if (auto it = b->entries.find(key); it != b->entries.end()) return it->second;
  if (f && f->db_empty) return std::nullopt;
  return store_.get(cf, key);
}

std::unique_ptr<MemoryBatch> MemoryBatch::split() {
  auto out = std::make_unique<MemoryBatch>(store_, std::vector<std::string>{});
  out->families_.reserve(families_.size());
  for (auto& f : families_) {
    const size_t n = f.entries.size();
    out->families_.push_back(Family{f.name, f.db_empty, std::move(f.entries)});
    f.entries = {};
    f.entries.reserve(n);  // the next stage is likely as big: no rehashing on the way
  }
  out->bytes_ = bytes_;
  bytes_ = 0;
  below_ = out.get();
  return out;
}

void MemoryBatch::drop_below() {
  below_ = nullptr;
  for (auto& f : families_) f.db_empty = false;
}

void MemoryBatch::put(std::string_view cf, std::string_view key, std::string_view value) {
  Family& f = family(cf);
  auto it = f.entries.find(key);
  if (it == f.entries.end()) {
    f.entries.emplace(std::string(key), std::string(value));
    bytes_ += key.size() + value.size() + 64;
  } else {
    bytes_ -= it->second ? it->second->size() : 0;
    bytes_ += value.size();
    it->second = std::string(value);
  }
}

void MemoryBatch::del(std::string_view cf, std::string_view key) {
  Family& f = family(cf);
  auto it = f.entries.find(key);
  if (it != f.entries.end()) bytes_ -= it->second ? it->second->size() : 0;
  if (f.db_empty && !below_) {
    // Nothing below to hide: forget the key.
    if (it != f.entries.end()) {
      bytes_ -= key.size() + 64;
      f.entries.erase(it);
    }
    return;
  }
  if (it == f.entries.end()) {
    f.entries.emplace(std::string(key), std::nullopt);
    bytes_ += key.size() + 64;
  } else {
    it->second.reset();
  }
}

Status MemoryBatch::flush(bool sync) {
  CL_TRY(write(sync));
  for (auto& f : families_) {
    f.entries.clear();
    f.db_empty = false;
  }
  bytes_ = 0;
  return {};
}

Status MemoryBatch::write(bool sync) const {
  // One WriteBatch, so a stage lands whole or not at all: with the applied
  // positions staged alongside, an interrupted replay leaves projections
  // exactly at some position, from which catch-up continues.
  rocksdb::WriteBatch batch(static_cast<size_t>(bytes_));
  for (const auto& f : families_) append_in_key_order(batch, Raw::family(store_, f.name), f.entries);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto st = Raw::db(store_)->Write(wo, &batch);
  if (!st.ok()) return rocks_error(st, "projection replay");
  return {};
}

}  // namespace certledger::store
