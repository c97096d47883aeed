#include "ledger/store/event_store.h"

#include <chrono>

#include <rocksdb/db.h>

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "ledger/store/keys.h"
#include "ledger/store/raw.h"
#include "ledger/util/encoding.h"

namespace certledger::store {

std::string StreamHead::encode() const {
  std::string s;
  s.reserve(48);
  put_be64(s, version);
  put_be64(s, position);
  s.append(reinterpret_cast<const char*>(hash.data()), 32);
  return s;
}

std::optional<StreamHead> StreamHead::decode(std::string_view b) {
  if (b.size() != 48) return std::nullopt;
  StreamHead h;
  h.version = get_be64(b);
  h.position = get_be64(b.substr(8));
  std::memcpy(h.hash.data(), b.data() + 16, 32);
  return h;
}

std::string IdempotencyRecord::encode() const {
  std::string s;
  s.reserve(48);
  put_be64(s, position);
  put_be64(s, seq);
  s.append(reinterpret_cast<const char*>(request_hash.data()), 32);
  return s;
}

std::optional<IdempotencyRecord> IdempotencyRecord::decode(std::string_view b) {
  if (b.size() != 48) return std::nullopt;
  IdempotencyRecord r;
  r.position = get_be64(b);
  r.seq = get_be64(b.substr(8));
  std::memcpy(r.request_hash.data(), b.data() + 16, 32);
  return r;
}

Error rocks_error(const rocksdb::Status& s, std::string_view what) {
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return make_error(Errc::not_found, msg);
  if (s.IsCorruption()) return make_error(Errc::corruption, msg);
  if (s.IsInvalidArgument()) return make_error(Errc::invalid_argument, msg);
  return make_error(Errc::unavailable, msg);  // I/O error, no space, busy: fail closed
}

namespace {

const std::vector<std::string>& core_families() {
  static const std::vector<std::string> f = {rocksdb::kDefaultColumnFamilyName,
                                             kCfMeta,
                                             kCfEvents,
                                             kCfStreams,
                                             kCfHeads,
                                             kCfIdempotency,
                                             kCfClaims,
                                             kCfMerkle,
                                             kCfCheckpoints,
                                             kCfBlobs,
                                             kCfVault};
  return f;
}

rocksdb::ColumnFamilyOptions family_options(const std::string& name, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.filter_policy.reset();
  if (name != kCfEvents && name != kCfMerkle && name != kCfCheckpoints) {
    t.filter_policy = std::shared_ptr<const rocksdb::FilterPolicy>(rocksdb::NewBloomFilterPolicy(10));
    // Point lookups that mostly miss (a new certificate's head, claims,
    // view, holder entries) skip the memtable's skiplist too.
    o.memtable_prefix_bloom_size_ratio = 0.02;
    o.memtable_whole_key_filtering = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Hashes and signatures do not compress.
  if (name == kCfMerkle || name == kCfHeads || name == kCfIdempotency) o.compression = rocksdb::kNoCompression;
  return o;
}

// The pid of another process holding RocksDB's lock on the store at
// `path` (RocksDB takes an fcntl write lock on <path>/LOCK), else 0.
pid_t lock_holder(const std::string& path) {
  const int fd = ::open((path + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held ? fl.l_pid : 0;
}

// A read-only open that failed because a file the MANIFEST named was
// deleted by the writer meanwhile (RocksDB reports it as IOError or, when
// met while replaying the MANIFEST, as Corruption wrapping the IOError).
bool vanished_under_us(const rocksdb::Status& st) {
  return (st.IsIOError() || st.IsCorruption() || st.IsPathNotFound()) &&
         st.ToString().find("No such file or directory") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::open(const StoreOptions& opt) {
  if (!opt.read_only)
    if (pid_t holder = lock_holder(opt.path))
      return make_error(Errc::unavailable, Detail::locked,
                        "the store " + opt.path + " is in use by another process (pid " + std::to_string(holder) + ")");
  std::unique_ptr<EventStore> s(new EventStore());
  s->path_ = opt.path;
  rocksdb::Options options;
  options.create_if_missing = opt.create_if_missing;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 5;
  options.max_total_wal_size = 256 << 20;
  if (opt.env) options.env = opt.env;
  auto cache = rocksdb::NewLRUCache(opt.block_cache_mb << 20);

  std::vector<std::string> names = core_families();
  for (const auto& n : opt.extra_column_families)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  // Families that exist on disk but are not requested still have to be opened.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(options, opt.path, &existing).ok())
    for (const auto& n : existing)
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, family_options(n, cache));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st;
  if (!opt.read_only) {
    st = rocksdb::DB::Open(options, opt.path, descs, &handles, &raw);
  } else {
    // A read-only open beside a running writer (ledgerctl while ledgerd
    // runs) reads the MANIFEST, then opens the files it names; a flush or
    // compaction of the writer may delete one in between. That is not
    // damage: the next attempt reads the newer MANIFEST.
    for (int attempt = 0;; ++attempt) {
      st = rocksdb::DB::OpenForReadOnly(options, opt.path, descs, &handles, &raw);
      if (st.ok() || attempt == 50 || !vanished_under_us(st)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!st.ok()) return rocks_error(st, "open " + opt.path);
  s->db_.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) s->cfs_[names[i]] = handles[i];

  auto format = s->get(kCfMeta, kMetaFormat);
  if (!format && !opt.read_only) {
    CL_TRY(s->put_sync(kCfMeta, kMetaFormat, "certledger-store 1"));
  } else if (format && *format != "certledger-store 1") {
    return make_error(Errc::corruption, "unsupported store format \"" + *format + "\"");
  }
  if (auto last = s->get(kCfMeta, kMetaLastPosition); last && last->size() == 8) s->last_position_ = get_be64(*last);
  return s;
}

EventStore::~EventStore() {
  if (db_) {
    for (auto& [name, h] : cfs_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

rocksdb::ColumnFamilyHandle* EventStore::cf(std::string_view name) const {
  auto it = cfs_.find(name);
  return it == cfs_.end() ? nullptr : it->second;
}

std::optional<std::string> EventStore::get(std::string_view cf_name, std::string_view key) const {
  std::string value;
  auto* h = cf(cf_name);
  if (!h) return std::nullopt;
  if (!db_->Get(rocksdb::ReadOptions(), h, rocksdb::Slice(key.data(), key.size()), &value).ok()) return std::nullopt;
  return value;
}

std::shared_ptr<const StoreSnapshot> EventStore::snapshot() const {
  return std::shared_ptr<const StoreSnapshot>(new StoreSnapshot(*this, db_->GetSnapshot()));
}

StoreSnapshot::~StoreSnapshot() { store_.db_->ReleaseSnapshot(snapshot_); }

std::optional<std::string> StoreSnapshot::get(std::string_view cf_name, std::string_view key) const {
  std::string value;
  auto* h = store_.cf(cf_name);
  if (!h) return std::nullopt;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  if (!store_.db_->Get(ro, h, rocksdb::Slice(key.data(), key.size()), &value).ok()) return std::nullopt;
  return value;
}

Status EventStore::put_sync(std::string_view cf_name, std::string_view key, std::string_view value) {
  rocksdb::WriteOptions w;
  w.sync = true;
  auto st =
      db_->Put(w, cf(cf_name), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  if (!st.ok()) return rocks_error(st, "write " + std::string(cf_name));
  return {};
}

namespace {

// The least key above every key that starts with prefix ("" if none is).
std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace

Status EventStore::scan_prefix(std::string_view cf_name, std::string_view prefix, const Visitor& fn) const {
  return scan_keys(cf_name, prefix, prefix_end(prefix), false, fn);
}

Status EventStore::scan_range(std::string_view cf_name, std::string_view lower, std::string_view upper,
                              const Visitor& fn) const {
  return scan_keys(cf_name, lower, upper, true, fn);
}

Status StoreSnapshot::scan_prefix(std::string_view cf, std::string_view prefix,
                                  const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return store_.scan_keys(cf, prefix, prefix_end(prefix), false, fn, snapshot_);
}

Status EventStore::scan_keys(std::string_view cf_name, std::string_view lower, std::string_view upper, bool bulk,
                             const Visitor& fn, const rocksdb::Snapshot* snapshot) const {
  auto* h = cf(cf_name);
  if (!h) return make_error(Errc::not_found, "no column family " + std::string(cf_name));
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  if (bulk) {
    ro.fill_cache = false;
    ro.readahead_size = 1 << 20;
  }
  const rocksdb::Slice upper_slice(upper.data(), upper.size());
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, h));
  for (it->Seek(rocksdb::Slice(lower.data(), lower.size())); it->Valid(); it->Next())
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) return {};
  if (!it->status().ok()) return rocks_error(it->status(), "scan " + std::string(cf_name));
  return {};
}

std::optional<IdempotencyRecord> EventStore::idempotency(std::string_view scope, std::string_view key) const {
  auto v = get(kCfIdempotency, idempotency_key(scope, key));
  if (!v) return std::nullopt;
  return IdempotencyRecord::decode(*v);
}

Status EventStore::put_blob(std::string_view ref, std::string_view bytes, std::string_view owner) {
  if (!get(kCfBlobs, ref)) CL_TRY(put_sync(kCfBlobs, ref, bytes));
  return put_sync(kCfBlobs, blob_owner_key(ref, owner), "");
}

std::optional<std::string> EventStore::blob(std::string_view ref) const { return get(kCfBlobs, ref); }

bool EventStore::blob_owned_by(std::string_view ref, std::string_view owner) const {
  return get(kCfBlobs, blob_owner_key(ref, owner)).has_value();
}

Status EventStore::vault_put(std::string_view key, std::string_view value) {
  // Not synced: the WAL is one sequence, and the synced write of the group
  // that first seals under a new key makes every earlier WAL entry, this
  // one included, durable with it (RocksDB syncs all unsynced WAL files).
  // A key whose record never committed may be lost with it: nothing needs it.
  auto st = db_->Put(rocksdb::WriteOptions(), cf(kCfVault), rocksdb::Slice(key.data(), key.size()),
                     rocksdb::Slice(value.data(), value.size()));
  if (!st.ok()) return rocks_error(st, "write vault");
  return {};
}

Status EventStore::vault_erase(const std::vector<std::string>& keys) { return erase_for_good(kCfVault, keys); }

Status EventStore::erase_blob(std::string_view ref, std::string_view owner) {
  // The owner's entry goes; the photo with it when no other owner is left.
  std::vector<std::string> owners;
  CL_TRY(scan_prefix(kCfBlobs, std::string(ref) + '\0', [&](std::string_view k, std::string_view) {
    owners.emplace_back(k);
    return true;
  }));
  std::vector<std::string> keys = {blob_owner_key(ref, owner)};
  if (owners.size() <= 1) keys.emplace_back(ref);
  return erase_for_good(kCfBlobs, keys);
}

Status EventStore::erase_for_good(std::string_view family, const std::vector<std::string>& keys) {
  rocksdb::WriteBatch b;
  for (const auto& k : keys) b.Delete(cf(family), k);
  rocksdb::WriteOptions w;
  w.sync = true;
  if (auto st = db_->Write(w, &b); !st.ok()) return rocks_error(st, "erase");
  // The deleted values are still in the memtable's WAL and in SST files
  // until every family is flushed (a WAL file is dropped once nothing in it
  // is unflushed) and the family's SSTs are compacted away.
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto& [name, h] : cfs_) all.push_back(h);
  rocksdb::FlushOptions f;
  f.wait = true;
  if (auto st = db_->Flush(f, all); !st.ok()) return rocks_error(st, "erase: flush");
  rocksdb::CompactRangeOptions c;
  c.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  if (auto st = db_->CompactRange(c, cf(family), nullptr, nullptr); !st.ok())
    return rocks_error(st, "erase: compaction");
  return {};
}

RelayCursor EventStore::relay_cursor() const {
  RelayCursor c;
  if (auto v = get(kCfMeta, kMetaRelayCursor); v && v->size() == 8) c.events = get_be64(*v);
  if (auto v = get(kCfMeta, kMetaRelayCheckpointCursor); v && v->size() == 8) c.checkpoints = get_be64(*v);
  return c;
}

Status EventStore::put_relay_cursor(const RelayCursor& c) {
  rocksdb::WriteBatch b;
  b.Put(cf(kCfMeta), kMetaRelayCursor, be64(c.events));
  b.Put(cf(kCfMeta), kMetaRelayCheckpointCursor, be64(c.checkpoints));
  auto st = db_->Write(rocksdb::WriteOptions(), &b);
  if (!st.ok()) return rocks_error(st, "write the relay cursor");
  return {};
}

StoreStats EventStore::stats() const {
  StoreStats s;
  db_->GetIntProperty(rocksdb::DB::Properties::kEstimateLiveDataSize, &s.live_data_bytes);
  db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &s.memtable_bytes);
  db_->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &s.running_compactions);
  return s;
}

Status EventStore::reset_column_family(const std::string& name) {
  auto it = cfs_.find(name);
  if (it == cfs_.end()) return make_error(Errc::not_found, "no column family " + name);
  for (const auto& core : core_families())
    if (core == name) return make_error(Errc::invalid_argument, "refusing to drop core family " + name);
  rocksdb::ColumnFamilyOptions opts;
  rocksdb::ColumnFamilyDescriptor desc;
  it->second->GetDescriptor(&desc);
  auto st = db_->DropColumnFamily(it->second);
  if (!st.ok()) return rocks_error(st, "drop " + name);
  db_->DestroyColumnFamilyHandle(it->second);
  rocksdb::ColumnFamilyHandle* h = nullptr;
  st = db_->CreateColumnFamily(desc.options, name, &h);
  if (!st.ok()) return rocks_error(st, "create " + name);
  it->second = h;
  return {};
}

Status EventStore::create_checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* cp = nullptr;
  auto st = rocksdb::Checkpoint::Create(db_.get(), &cp);
  if (!st.ok()) return rocks_error(st, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> guard(cp);
  st = cp->CreateCheckpoint(dir);
  if (!st.ok()) return rocks_error(st, "checkpoint into " + dir);
  return {};
}

}  // namespace certledger::store
