// ingest: durable signed events per second through the whole write path
// (decide, build, sign on the submitter's thread, group commit with
// sync = true, projections in the same batch), with 1..64 concurrent
// submitters. Reference: `openssl speed` sign rate x cores, same run.
// Also: the cost the projections add (same run, without them), and floors
// under any write path that signs and durably stores what ours stores
// (see Floors below).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/common.h"
#include "bench/postgres.h"
#include "ledger/crypto/jws.h"
#include "ops/demo/samples.h"
#include "ledger/ledger.h"
#include "ledger/store/keys.h"
#include "projections/projections.h"
#include "ledger/store/raw.h"

using namespace certledger;

namespace {

struct Run {
  double events_per_second;
  uint64_t events;
  double avg_batch;
  double build_us_per_event = 0, write_ms_per_batch = 0;
};

// What a run left in its store, for the floors: the signing input of every
// record, and every key and value of the families the write path fills.
struct Written {
  std::vector<std::string> families;
  std::vector<std::string> signing_inputs;  // one per event, in position order
  // Per family, its keys and values in key order, and their bytes.
  std::vector<std::vector<std::pair<std::string, std::string>>> pairs;
  std::vector<uint64_t> family_bytes;
  uint64_t bytes = 0, keys = 0;
};

// "N events (K keys, B bytes per event)", and with by_family a line per family.
void print_written(const Written& w, bool by_family) {
  const double n = double(w.signing_inputs.size());
  std::printf("%zu events (%.1f keys, %.0f bytes per event)\n", w.signing_inputs.size(), double(w.keys) / n,
              double(w.bytes) / n);
  if (!by_family) return;
  for (size_t i = 0; i < w.families.size(); ++i)
    std::printf("  %-12s %8zu keys %10llu bytes\n", w.families[i].c_str(), w.pairs[i].size(),
                (unsigned long long)w.family_bytes[i]);
}

Written read_back(const store::EventStore& store, const std::vector<std::string>& families) {
  Written w;
  w.families = families;
  for (const auto& name : families) {
    auto& out = w.pairs.emplace_back();
    uint64_t& bytes = w.family_bytes.emplace_back(0);
    std::unique_ptr<rocksdb::Iterator> it(
        store::Raw::db(store)->NewIterator(rocksdb::ReadOptions(), store::Raw::family(store, name)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
      bytes += it->key().size() + it->value().size();
    }
    w.bytes += bytes;
    w.keys += out.size();
  }
  (void)store.scan(1, 0, [&](uint64_t, std::string_view record) {
    auto parts = crypto::jws_parse(record);
    if (!parts.ok()) std::exit(3);
    w.signing_inputs.push_back(parts->signing_input());
    return true;
  });
  return w;
}

// `bench_ingest SECONDS SUBMITTERS persons`: every command a personnel
// certificate (its name, 身份证号, gender, post and photo sealed since event
// format 2), for the A/B of what sealing costs.
bool persons_only = false;

Run ingest(crypto::KeyAlg alg, int submitters, bool with_projections, double seconds, Written* written = nullptr) {
  auto dir = bench::temp_dir("ingest");
  auto projections = projections::standard_projections();
  LedgerOptions o;
  o.data_dir = dir.string();
  o.policy.checkpoint_every = 100000;
  o.policy.checkpoint_interval_ms = 1000;
  if (with_projections) {
    o.contributors = projections::as_contributors(projections);
    o.checkpoint_extensions = projections::checkpoint_extensions;
  }
  auto l = Ledger::open(o);
  if (!l.ok()) {
    std::fprintf(stderr, "%s\n", l.error().to_string().c_str());
    std::exit(3);
  }
  auto a = demo::demo_authorities()[0];
  (void)(*l)->register_authority(a, alg, "bench");
  (void)(*l)->put_blob(a.code, demo::SampleGenerator::sample_photo_png(0));
  // Each submitter makes its next command just before it executes it (~8 µs here,
  // about what parsing a request body costs a server thread), so the
  // command is in the cache; no set-up before the clock and no cap on the
  // run's length. (A/B against hundreds of thousands of commands made
  // before the clock: the same within the VM's noise.)
  // Kinds whose number formats leave room for millions of unique numbers.
  const domain::KindDescriptor* kinds[] = {domain::find_kind("testing_institution"),
                                           domain::find_kind("staff_training")};
  const Date issued = china_date(system_now_ms()).plus_days(-5);
  auto command = [&](demo::SampleGenerator& gen, int t, uint64_t i) {
    const auto& kind = *kinds[persons_only ? 1 : i % 2];
    domain::CommandInput c;
    c.type = domain::CommandType::issue;
    c.kind = std::string(kind.code);
    c.fields = gen.fields(kind, a, issued);
    c.fields["number"] = "BENCH" + std::to_string(t) + "N" + std::to_string(i);
    c.actor = {"bench", domain::Role::approver, {}};
    return c;
  };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  const uint64_t start_pos = (*l)->store().last_position();
  const auto start_stats = (*l)->sequencer()->stats();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&, t] {
      demo::SampleGenerator gen(t + 1);
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto r = (*l)->execute(a.code, command(gen, t, i));
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
          std::exit(3);
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto stats = (*l)->sequencer()->stats();
  uint64_t events = (*l)->store().last_position() - start_pos;
  const double batches = double(std::max<uint64_t>(1, stats.batches - start_stats.batches));
  Run r{events / secs, events, double(stats.appended - start_stats.appended) / batches,
        (stats.build_seconds - start_stats.build_seconds) * 1e6 / double(std::max<uint64_t>(1, events)),
        (stats.write_seconds - start_stats.write_seconds) * 1e3 / batches};
  if (written) {
    std::vector<std::string> families = {store::kCfEvents, store::kCfStreams, store::kCfHeads,
                                         store::kCfClaims, store::kCfMerkle,  store::kCfMeta};
    for (const auto& p : projections)
      for (const auto& cf : p->column_families()) families.push_back(cf);
    *written = read_back((*l)->store(), families);
  }
  l->reset();
  std::filesystem::remove_all(dir);
  return r;
}

// Floors under any write path that signs each event and stores durably
// what ours stores, measured on the bytes a real run wrote (`w`):
//  - sign: `submitters` threads sign the run's own signing inputs with a
//    key of the same algorithm (PrivateKey::sign, as the ledger signs), and
//    nothing else;
//  - store: one writer thread group-commits the run's keys and values into a
//    fresh store with the same families and options (WriteBatch, sync =
//    true), each event's share handed over by a submitter that waits for
//    its sync, as the sequencer's submitters do;
//  - both: each submitter signs, then hands its event over and waits.
// Each event carries 1/N of every family's keys and values, in key order:
// no decoding, deciding, JSON, hashing, reads or projection logic, and keys
// rewritten during the run (stream heads, counters, meta) are written once.
// So each figure is an upper bound on what that step allows.
struct Floors {
  double sign = 0, store = 0, both = 0;
  double records = 0;  // sign + synced group commit of the signed records alone
};

// Stores the first `families` of w.families (0: nothing, 1: the signed
// records alone, w.families.size(): everything).
double floor_run(const Written& w, crypto::KeyAlg alg, int submitters, bool sign, size_t families,
                 const std::filesystem::path& dir) {
  const size_t n = w.signing_inputs.size();
  const bool store_it = families > 0;
  auto key = crypto::PrivateKey::generate(alg);
  if (!key.ok()) std::exit(3);
  std::unique_ptr<store::EventStore> copy;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  if (store_it) {
    store::StoreOptions so;
    so.path = dir.string();
    so.extra_column_families = w.families;  // the core ones are opened once
    auto s = store::EventStore::open(so);
    if (!s.ok()) std::exit(3);
    copy = std::move(*s);
    for (const auto& name : w.families) cfs.push_back(store::Raw::family(*copy, name));
  }
  // Group commit: submitters queue an event index and wait for the sync
  // that holds it.
  std::mutex mu;
  std::condition_variable queued, synced;
  std::vector<size_t> queue;
  uint64_t groups_taken = 0, groups_done = 0;  // what is queued now goes into group groups_taken + 1
  bool stop_writer = false;
  std::thread writer;
  if (store_it)
    writer = std::thread([&] {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      for (;;) {
        std::vector<size_t> group;
        {
          std::unique_lock lock(mu);
          queued.wait(lock, [&] { return stop_writer || !queue.empty(); });
          if (queue.empty()) return;
          group.swap(queue);
          ++groups_taken;
        }
        rocksdb::WriteBatch wb;
        for (size_t i : group)
          for (size_t f = 0; f < families; ++f) {
            const auto& pairs = w.pairs[f];
            for (size_t k = i * pairs.size() / n; k < (i + 1) * pairs.size() / n; ++k)
              wb.Put(cfs[f], pairs[k].first, pairs[k].second);
          }
        if (!store::Raw::db(*copy)->Write(wo, &wb).ok()) std::exit(3);
        {
          std::lock_guard lock(mu);
          ++groups_done;
        }
        synced.notify_all();
      }
    });
  std::atomic<size_t> next{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        if (sign && !key->sign(w.signing_inputs[i]).ok()) std::exit(3);
        if (!store_it) continue;
        std::unique_lock lock(mu);
        queue.push_back(i);
        const uint64_t group = groups_taken + 1;
        queued.notify_one();
        synced.wait(lock, [&] { return groups_done >= group; });
      }
    });
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (store_it) {
    {
      std::lock_guard lock(mu);
      stop_writer = true;
    }
    queued.notify_one();
    writer.join();
  }
  copy.reset();
  std::filesystem::remove_all(dir);
  return n / secs;
}

Floors floors(const Written& w, crypto::KeyAlg alg, int submitters) {
  auto dir = bench::temp_dir("ingest-floor");
  Floors f;
  const size_t all = w.families.size();
  f.sign = floor_run(w, alg, submitters, true, 0, dir);
  f.store = floor_run(w, alg, submitters, false, all, dir);
  f.both = floor_run(w, alg, submitters, true, all, dir);
  f.records = floor_run(w, alg, submitters, true, 1, dir);
  return f;
}

// The ledger (Ed25519, 64 submitters, projections on, the usual mix)
// against PostgreSQL 15 doing less per transaction (bench/postgres.h), in
// alternating rounds of the same length: target >= 2.5x.
void against_postgres(double seconds, int rounds) {
  std::printf("\n## against PostgreSQL 15 (64 submitters / 64 pgbench clients, alternating rounds)\n");
  bench::Postgres pg;
  if (!pg.available()) {
    std::printf("skipped: %s\n", pg.why_not().c_str());
    return;
  }
  for (int round = 1; round <= rounds; ++round) {
    const double tps = pg.tps(64, seconds);
    Run r = ingest(crypto::KeyAlg::ed25519, 64, true, seconds);
    char what[64];
    std::snprintf(what, sizeof what, "round %d: ledger durable events/s", round);
    bench::print_ratio(what, r.events_per_second, "events/s", "PostgreSQL 15 tps (event+status)", tps, 2.5);
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 4.0;
  if (argc > 2 && std::string(argv[2]) == "pg") {  // bench_ingest SECONDS pg [ROUNDS]: the comparison alone
    std::printf("# ingest — %s\n", bench::machine_description().c_str());
    against_postgres(seconds, argc > 3 ? std::atoi(argv[3]) : 3);
    return 0;
  }
  if (argc > 2) {  // one configuration, for profiling: bench_ingest SECONDS SUBMITTERS [noproj|floors|persons]
    const std::string mode = argc > 3 ? argv[3] : "";
    persons_only = mode == "persons";
    Written w;
    Run r =
        ingest(crypto::KeyAlg::ed25519, std::atoi(argv[2]), mode != "noproj", seconds, mode == "floors" ? &w : nullptr);
    std::printf("%.0f events/s, avg group commit %.1f, writer: build %.1f us/event, synced write %.2f ms/batch\n",
                r.events_per_second, r.avg_batch, r.build_us_per_event, r.write_ms_per_batch);
    if (mode == "floors") {
      Floors f = floors(w, crypto::KeyAlg::ed25519, std::atoi(argv[2]));
      std::printf("floors: sign %.0f, store %.0f, sign + store %.0f, sign + store records only %.0f events/s on ",
                  f.sign, f.store, f.both, f.records);
      print_written(w, true);
    }
    return 0;
  }
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("# ingest — %s\n", bench::machine_description().c_str());
  struct Alg {
    crypto::KeyAlg alg;
    const char* openssl;
    const char* marker;
  } algs[] = {{crypto::KeyAlg::ed25519, "ed25519", "Ed25519"}, {crypto::KeyAlg::sm2, "sm2", "SM2"}};
  for (const auto& alg : algs) {
    const double per_core = bench::openssl_sign_rate(alg.openssl, alg.marker);
    const double limit = per_core * cores;
    std::printf("\n## %s: openssl speed %.0f sign/s per core x %u cores = %.0f/s\n", alg.marker, per_core, cores,
                limit);
    Written written;
    for (int submitters : {1, 2, 4, 16, 64}) {
      Run r = ingest(alg.alg, submitters, true, seconds, submitters == 64 ? &written : nullptr);
      char what[96];
      std::snprintf(what, sizeof what, "%s durable events/s, %2d submitters", alg.marker, submitters);
      char ref[64];
      std::snprintf(ref, sizeof ref, "openssl %s sign/s x %u", alg.marker, cores);
      bench::print_ratio(what, r.events_per_second, "events/s", ref, limit, submitters == 64 ? 0.7 : 0);
      std::printf("%44s avg group commit %.1f events; writer builds %.1f us/event, synced write %.2f ms/batch\n", "",
                  r.avg_batch, r.build_us_per_event, r.write_ms_per_batch);
    }
    // Floors on the 64-submitter run's own bytes (see Floors).
    std::printf("%s floors, 64 submitters, on that run's ", alg.marker);
    print_written(written, false);
    Floors f = floors(written, alg.alg, 64);
    char ref[64];
    std::snprintf(ref, sizeof ref, "openssl %s sign/s x %u", alg.marker, cores);
    bench::print_ratio("floor: signing alone", f.sign, "events/s", ref, limit);
    bench::print_ratio("floor: synced group commit alone", f.store, "events/s", ref, limit);
    bench::print_ratio("floor: sign + synced group commit", f.both, "events/s", ref, limit, 0.7);
    bench::print_ratio("floor: same, signed records alone", f.records, "events/s", ref, limit, 0.7);
  }
  std::printf("\n## cost of projections (Ed25519, 64 submitters)\n");
  Run with = ingest(crypto::KeyAlg::ed25519, 64, true, seconds);
  Run without = ingest(crypto::KeyAlg::ed25519, 64, false, seconds);
  bench::print_ratio("with projections, events/s", with.events_per_second, "events/s", "without projections",
                     without.events_per_second);
  against_postgres(seconds, 3);
  return 0;
}
