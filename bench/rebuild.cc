// rebuild: events/s for a full projection rebuild from N events (default 1M;
// no signature verification), against the same run's raw RocksDB sequential
// read rate of the same log, and the 500k events/s target.
#include <atomic>
#include <future>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "bench/common.h"
#include "ledger/crypto/jws.h"
#include "ops/demo/samples.h"
#include "ledger/ledger.h"
#include "ledger/util/random.h"
#include "projections/projections.h"
#include "ledger/store/raw.h"

using namespace certledger;

int main(int argc, char** argv) {
  const uint64_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
  // CERTLEDGER_BENCH_DIR: keep (or reuse) the built log, e.g. to profile
  // only the rebuild.
  const char* keep = std::getenv("CERTLEDGER_BENCH_DIR");
  const bool reuse = keep && std::filesystem::exists(std::filesystem::path(keep) / "db");
  auto dir = keep ? std::filesystem::path(keep) : bench::temp_dir("rebuild");
  std::printf("# rebuild — %s\n", bench::machine_description().c_str());
  auto projections = projections::standard_projections();
  if (!reuse) {
    // Build the log fast: signed issue events, sequenced without projections.
    LedgerOptions o;
    o.data_dir = dir.string();
    o.policy.checkpoint_every = 1000000;
    auto l = Ledger::open(o);
    if (!l.ok()) return 3;
    auto a = demo::demo_authorities()[0];
    (void)(*l)->register_authority(a, crypto::KeyAlg::ed25519, "bench");
    auto key = crypto::PrivateKey::load((dir / "keys" / "GD-ZJT" / "k1.pem").string(), "");
    std::atomic<uint64_t> next{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t)
      ts.emplace_back([&, t] {
        demo::SampleGenerator gen(t + 7);
        const auto* kinds = domain::all_kinds().data();
        std::vector<std::future<Result<store::AppendResult>>> pending;
        for (uint64_t i; (i = next++) < n;) {
          const auto& kind = kinds[i % domain::all_kinds().size()];
          domain::Event e;
          e.id = uuid_v7(system_now_ms());
          e.type = "certificate.issued";
          e.stream = new_certificate_id(system_now_ms());
          e.seq = 1;
          e.authority = a.code;
          e.kind = std::string(kind.code);
          e.actor = {{"operator", "bench"}, {"role", "approver"}, {"trail", nlohmann::json::array()}};
          e.time = system_now_ms();
          auto fields = gen.fields(kind, a, Date{2026, 1, 5});
          fields["number"] = "B" + std::to_string(i);
          e.data = {{"fields", fields},
                    {"doc_version", 1},
                    {"token", new_public_token()},
                    {"elicense", *domain::elicense_for(kind, a, e.stream, 1)}};
          store::AppendRequest r;
          r.record.bytes = *crypto::jws_sign(*key, "GD-ZJT/k1", domain::serialize_event(e));
          r.record.hash = sha256(r.record.bytes);
          r.record.event = std::move(e);
          r.record.kid = "GD-ZJT/k1";
          pending.push_back((*l)->sequencer()->submit(std::move(r)));
          if (pending.size() >= 256) {
            for (auto& f : pending) (void)f.get();
            pending.clear();
          }
        }
        for (auto& f : pending) (void)f.get();
      });
    for (auto& t : ts) t.join();
    std::printf("built a log of %llu events in %.1fs\n", (unsigned long long)(*l)->store().last_position(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  // Reopen with the projections registered (they start empty), then rebuild.
  LedgerOptions o;
  o.data_dir = dir.string();
  o.contributors = projections::as_contributors(projections);
  auto l = Ledger::open(o);
  if (!l.ok()) return 3;
  (*l)->sequencer()->stop();
  auto& store = (*l)->store();
  const uint64_t events = store.last_position();
  auto t1 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  (void)store.scan(1, 0, [&](uint64_t, std::string_view r) {
    bytes += r.size();
    return true;
  });
  const double scan = events / std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::vector<projections::Projection*> ps;
  for (auto& p : projections) ps.push_back(p.get());
  auto t2 = std::chrono::steady_clock::now();
  auto st = projections::rebuild(store, ps);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
    return 3;
  }
  std::printf("log: %llu events, %.0f bytes/record\n", (unsigned long long)events, double(bytes) / events);
  // A floor under any rebuild with this storage layout: RocksDB writing
  // exactly the rebuilt families' keys and values (read back from them, in
  // key order, 4 MB batches, no WAL) into a fresh store with the same
  // family options, until flushed. No decoding, no apply, no hashing.
  std::vector<std::string> families;
  for (auto* p : ps)
    for (const auto& cf : p->column_families()) families.push_back(cf);
  // A fresh store with the projection families, opened as ledgerd opens them.
  auto open_copy = [&](const char* name) {
    store::StoreOptions so;
    so.path = (dir / name).string();
    so.extra_column_families = families;
    auto copy = store::EventStore::open(so);
    if (!copy.ok()) std::exit(3);
    return std::move(*copy);
  };
  double output_rate = 0;
  uint64_t out_keys = 0, out_bytes = 0;
  {
    auto copy = open_copy("output-copy");
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    auto t3 = std::chrono::steady_clock::now();
    for (const auto& name : families) {
      std::unique_ptr<rocksdb::Iterator> it(
          store::Raw::db(store)->NewIterator(rocksdb::ReadOptions(), store::Raw::family(store, name)));
      rocksdb::WriteBatch wb;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        wb.Put(store::Raw::family(*copy, name), it->key(), it->value());
        ++out_keys;
        out_bytes += it->key().size() + it->value().size();
        if (wb.GetDataSize() >= (4u << 20)) {
          if (!store::Raw::db(*copy)->Write(wo, &wb).ok()) return 3;
          wb.Clear();
        }
      }
      if (!store::Raw::db(*copy)->Write(wo, &wb).ok()) return 3;
    }
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    for (const auto& name : families) hs.push_back(store::Raw::family(*copy, name));
    if (!store::Raw::db(*copy)->Flush(rocksdb::FlushOptions(), hs).ok()) return 3;
    output_rate = events / std::chrono::duration<double>(std::chrono::steady_clock::now() - t3).count();
  }
  std::filesystem::remove_all(dir / "output-copy");
  // The same output the fastest way RocksDB takes data: sorted SST files
  // built with SstFileWriter (the families' own options) and ingested.
  double sst_rate = 0;
  {
    auto copy = open_copy("output-sst");
    auto t4 = std::chrono::steady_clock::now();
    for (const auto& name : families) {
      rocksdb::Options fo(store::Raw::db(*copy)->GetDBOptions(),
                          store::Raw::db(*copy)->GetOptions(store::Raw::family(*copy, name)));
      rocksdb::SstFileWriter w(rocksdb::EnvOptions(), fo, store::Raw::family(*copy, name));
      const std::string file = (dir / ("output-" + name + ".sst")).string();
      if (!w.Open(file).ok()) return 3;
      std::unique_ptr<rocksdb::Iterator> it(
          store::Raw::db(store)->NewIterator(rocksdb::ReadOptions(), store::Raw::family(store, name)));
      uint64_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++n)
        if (!w.Put(it->key(), it->value()).ok()) return 3;
      if (n == 0) continue;
      if (!w.Finish().ok()) return 3;
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;
      if (!store::Raw::db(*copy)->IngestExternalFile(store::Raw::family(*copy, name), {file}, io).ok()) return 3;
    }
    sst_rate = events / std::chrono::duration<double>(std::chrono::steady_clock::now() - t4).count();
  }
  std::filesystem::remove_all(dir / "output-sst");
  std::printf("rebuilt families: %llu keys, %.0f bytes per event\n", (unsigned long long)out_keys,
              double(out_bytes) / events);
  bench::print_ratio("full rebuild, events/s", events / secs, "events/s", "RocksDB scan of the log", scan);
  bench::print_ratio("full rebuild, events/s", events / secs, "events/s", "RocksDB write of its output", output_rate);
  bench::print_ratio("full rebuild, events/s", events / secs, "events/s", "SST build + ingest of its output", sst_rate);
  bench::print_ratio("RocksDB write of the output", output_rate, "events/s", "target", 500000, 1.0);
  bench::print_ratio("SST build + ingest of the output", sst_rate, "events/s", "target", 500000, 1.0);
  bench::print_ratio("full rebuild, events/s", events / secs, "events/s", "target", 500000, 1.0);
  l->reset();
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
