// Builds the data dir for the HTTP benchmark: N issued certificates (64
// submitters), their QR tokens in tokens.txt, one verify answer in
// sample.json (what nginx serves as the static reference), and an approver
// token for the command benchmark in approver.txt.
#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "api/tokens.h"
#include "ops/demo/samples.h"
#include "ops/common/setup.h"

using namespace certledger;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_http_pool DATA_DIR N\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int n = std::atoi(argv[2]);
  ops::OpenOptions o;
  o.data_dir = dir;
  o.create = true;
  auto l = ops::open_data_dir(o);
  if (!l.ok()) return 3;
  auto a = demo::demo_authorities()[0];
  if (!l->ledger->authority(a.code)) (void)l->ledger->register_authority(a, crypto::KeyAlg::ed25519, "bench");
  std::atomic<int> next{0};
  std::mutex mu;
  std::ofstream tokens(dir + "/tokens.txt");
  std::vector<std::thread> ts;
  for (int t = 0; t < 64; ++t)
    ts.emplace_back([&, t] {
      demo::SampleGenerator gen(t + 100);
      for (int i; (i = next++) < n;) {
        auto c = demo::sample_issue(gen, *domain::find_kind("testing_institution"), a, Date{2026, 1, 5}, "bench");
        c.fields["number"] = "POOL" + std::to_string(i);
        auto r = l->ledger->execute(a.code, c);
        if (r.ok()) {
          std::lock_guard lock(mu);
          tokens << r->state.token << "\n";
        }
      }
    });
  for (auto& t : ts) t.join();
  api::TokenStore store(dir + "/tokens.json");
  std::ofstream(dir + "/approver.txt") << *store.create(a.code, domain::Role::approver, "bench");
  std::printf("%llu events\n", (unsigned long long)l->ledger->store().last_position());
  return 0;
}
