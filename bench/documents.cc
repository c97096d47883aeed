// documents: signed PDFs per second, one core and all cores, rendered from
// scratch (no cache); the same for signed OFDs (the kinds that have one).
// Reference, same run: `openssl speed ecdsap256` / `sm2` sign rates (the
// signature each document carries) — and the target of 100 documents/s per
// core.
#include <atomic>
#include <thread>

#include "bench/common.h"
#include "ops/demo/samples.h"
#include "renderers/ofd.h"
#include "renderers/pdf.h"

using namespace certledger;

namespace {

double run(int threads, double seconds, const render::SigningIdentity& id, const render::SealIdentity* seal = nullptr) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      demo::SampleGenerator gen(t + 1);
      const auto a = demo::demo_authorities()[0];
      int i = 0;
      while (!stop) {
        const auto& kind = domain::all_kinds()[static_cast<size_t>(i++) % domain::all_kinds().size()];
        if (seal && !kind.ofd) continue;
        render::DocumentInput in;
        in.kind = &kind;
        in.fields = gen.fields(kind, a, Date{2026, 1, 5});
        in.authority = a;
        in.certificate_id = "06H0G50KW9XN9EAZ5Z9HRVB984";
        in.elicense = "1.2.156.3005.2.11100000000013338W101.11440000MB2C412952.06H0G50KW9XN9EAZ5Z9HRVB984.001.7";
        in.verify_url = "https://verify.example.gov.cn/v/bbjn6N4iTGi-2QeNF463kg";
        if (kind.holder == domain::HolderType::person) in.photo = demo::SampleGenerator::sample_photo_png(1);
        auto pdf = seal ? render::render_ofd(in, *seal, system_now_ms()) : render::render_pdf(in, id, system_now_ms());
        if (!pdf.ok()) {
          std::fprintf(stderr, "%s\n", pdf.error().to_string().c_str());
          std::exit(3);
        }
        done++;
      }
    });
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  return done / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  auto dir = bench::temp_dir("documents");
  const KeyRing keys((dir / "keys").string(), "");
  auto id = render::document_signer(keys, demo::demo_authorities()[0]);
  auto seal = render::seal_signer(keys, demo::demo_authorities()[0]);
  if (!id.ok() || !seal.ok()) return 3;
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("# documents — %s\n", bench::machine_description().c_str());
  const double ecdsa = bench::openssl_sign_rate("ecdsap256", "nistp256");
  (void)run(1, 1.0, *id);  // warm up: font loaded once per process
  const double one = run(1, seconds, *id);
  const double all = run(static_cast<int>(cores), seconds, *id);
  const double sm2 = bench::openssl_sign_rate("sm2", "SM2");
  const double ofd_one = run(1, seconds, *id, &*seal);
  const double ofd_all = run(static_cast<int>(cores), seconds, *id, &*seal);
  bench::print_ratio("signed PDFs/s, 1 core", one, "docs/s", "target per core", 100, 1.0);
  bench::print_ratio("signed PDFs/s, all cores", all, "docs/s", "target x cores", 100.0 * cores, 1.0);
  bench::print_ratio("signed PDFs/s, 1 core", one, "docs/s", "openssl ecdsap256 sign/s", ecdsa);
  bench::print_ratio("sealed OFDs/s, 1 core", ofd_one, "docs/s", "target per core", 100, 1.0);
  bench::print_ratio("sealed OFDs/s, all cores", ofd_all, "docs/s", "target x cores", 100.0 * cores, 1.0);
  bench::print_ratio("sealed OFDs/s, 1 core", ofd_one, "docs/s", "openssl sm2 sign/s", sm2);
  std::filesystem::remove_all(dir);
  return 0;
}
