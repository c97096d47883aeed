// ingest: durable signed events per second through the whole write path
// (decide, build, sign on the submitter's thread, group commit with
// sync = true, projections in the same batch), with 1..64 concurrent
// submitters. Reference: `openssl speed` sign rate x cores, same run.
// Also: the cost the projections add (same run, without them).
#include <atomic>
#include <thread>
#include <vector>

#include "bench/common.h"
#include "ledger/domain/samples.h"
#include "ledger/ledger.h"
#include "projections/projections.h"

using namespace certledger;

namespace {

struct Run {
  double events_per_second;
  uint64_t events;
  double avg_batch;
  double build_us_per_event = 0, write_ms_per_batch = 0;
};

Run ingest(crypto::KeyAlg alg, int submitters, bool with_projections, double seconds) {
  auto dir = bench::temp_dir("ingest");
  auto projections = projections::standard_projections();
  LedgerOptions o;
  o.data_dir = dir.string();
  o.checkpoint_every = 100000;
  o.checkpoint_interval_ms = 1000;
  if (with_projections) o.contributors = projections::as_contributors(projections);
  auto l = Ledger::open(o);
  if (!l.ok()) {
    std::fprintf(stderr, "%s\n", l.error().to_string().c_str());
    std::exit(3);
  }
  auto a = domain::demo_authorities()[0];
  (void)(*l)->register_authority(a, alg, "bench");
  // Commands are prepared before the clock starts.
  const int per_thread = 40000;
  std::vector<std::vector<domain::CommandInput>> work(submitters);
  for (int t = 0; t < submitters; ++t) {
    domain::SampleGenerator gen(t + 1);
    int n = std::min(per_thread, static_cast<int>(200000 / submitters) + 2000);
    // Kinds whose number formats leave room for millions of unique numbers.
    const domain::KindDescriptor* kinds[] = {domain::find_kind("testing_institution"),
                                             domain::find_kind("staff_training")};
    for (int i = 0; i < n; ++i) {
      const auto& kind = *kinds[i % 2];
      domain::CommandInput c;
      c.type = domain::CommandType::issue;
      c.kind = std::string(kind.code);
      c.fields = gen.fields(kind, a, china_date(system_now_ms()).plus_days(-5));
      c.fields["number"] = "BENCH" + std::to_string(t) + "N" + std::to_string(i);
      c.actor = {"bench", domain::Role::approver, {}};
      work[t].push_back(std::move(c));
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  const uint64_t start_pos = (*l)->store().last_position();
  const auto start_stats = (*l)->sequencer()->stats();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&, t] {
      for (auto& c : work[t]) {
        if (stop.load(std::memory_order_relaxed)) break;
        auto r = (*l)->execute(a.code, std::move(c));
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
  l->reset();
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 4.0;
  if (argc > 2) {  // one configuration, for profiling: bench_ingest SECONDS SUBMITTERS [noproj]
    Run r = ingest(crypto::KeyAlg::ed25519, std::atoi(argv[2]), argc <= 3, seconds);
    std::printf("%.0f events/s, avg group commit %.1f, writer: build %.1f us/event, synced write %.2f ms/batch\n",
                r.events_per_second, r.avg_batch, r.build_us_per_event, r.write_ms_per_batch);
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
    std::printf("\n## %s: openssl speed %.0f sign/s per core x %u cores = %.0f/s\n", alg.marker, per_core,
                cores, limit);
    for (int submitters : {1, 2, 4, 16, 64}) {
      Run r = ingest(alg.alg, submitters, true, seconds);
      char what[96];
      std::snprintf(what, sizeof what, "%s durable events/s, %2d submitters", alg.marker, submitters);
      char ref[64];
      std::snprintf(ref, sizeof ref, "openssl %s sign/s x %u", alg.marker, cores);
      bench::print_ratio(what, r.events_per_second, "events/s", ref, limit, submitters == 64 ? 0.7 : 0);
      std::printf("%44s avg group commit %.1f events; writer builds %.1f us/event, synced write %.2f ms/batch\n", "",
                  r.avg_batch, r.build_us_per_event, r.write_ms_per_batch);
    }
  }
  std::printf("\n## cost of projections (Ed25519, 64 submitters)\n");
  Run with = ingest(crypto::KeyAlg::ed25519, 64, true, seconds);
  Run without = ingest(crypto::KeyAlg::ed25519, 64, false, seconds);
  bench::print_ratio("with projections, events/s", with.events_per_second, "events/s",
                     "without projections", without.events_per_second);
  return 0;
}
