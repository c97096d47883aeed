#include "ledger/store/batch.h"

#include <algorithm>

#include "ledger/store/event_store.h"

namespace certledger::store {

namespace {

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

std::optional<std::string> BatchWriter::get(std::string_view cf, std::string_view key) const {
  if (memory_) return memory_->get(cf, key);
  std::string value;
  auto st = batch_->GetFromBatchAndDB(store_.db(), rocksdb::ReadOptions(), store_.cf(cf), slice(key), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

void BatchWriter::put(std::string_view cf, std::string_view key, std::string_view value) {
  if (memory_) return memory_->put(cf, key, value);
  batch_->Put(store_.cf(cf), slice(key), slice(value));
}

void BatchWriter::del(std::string_view cf, std::string_view key) {
  if (memory_) return memory_->del(cf, key);
  batch_->Delete(store_.cf(cf), slice(key));
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
  if (f) {
    if (auto it = f->entries.find(key); it != f->entries.end()) return it->second;
    if (f->db_empty) return std::nullopt;
  }
  return store_.get(cf, key);
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
  if (f.db_empty) {
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
  // One WriteBatch, so a stage lands whole or not at all: with the applied
  // positions staged alongside, an interrupted replay leaves projections
  // exactly at some position, from which catch-up continues.
  rocksdb::WriteBatch batch(static_cast<size_t>(bytes_));
  for (auto& f : families_) {
    auto* handle = store_.cf(f.name);
    // Key order: the memtable takes sorted inserts fastest.
    std::vector<const std::pair<const std::string, std::optional<std::string>>*> sorted;
    sorted.reserve(f.entries.size());
    for (const auto& e : f.entries) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    for (const auto* e : sorted) {
      if (e->second) batch.Put(handle, e->first, *e->second);
      else batch.Delete(handle, e->first);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto st = store_.db()->Write(wo, &batch);
  if (!st.ok()) return rocks_error(st, "projection replay");
  for (auto& f : families_) {
    f.entries.clear();
    f.db_empty = false;
  }
  bytes_ = 0;
  return {};
}

}  // namespace certledger::store
