// Durability under kill -9. A child process appends signed events from many
// threads and reports each acknowledgement on a pipe; the parent kills it
// with SIGKILL at random moments, restarts it, and at the end checks that
// every acknowledged event is in the log exactly once, positions are dense,
// the Merkle tree recomputes, checkpoints verify, the audit passes, and the
// projections are exactly at the log's end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "ledger/audit.h"
#include "ops/demo/samples.h"
#include "ledger/util/encoding.h"
#include "ops/common/setup.h"
#include "projections/queries.h"
#include "ledger/store/raw.h"

namespace certledger {

// The child: runs until killed.
int crash_child(const std::string& dir) {
  ops::OpenOptions o;
  o.data_dir = dir;
  o.create = true;
  o.policy.checkpoint_every = 50;
  o.policy.checkpoint_interval_ms = 100;
  auto l = ops::open_data_dir(o);
  if (!l.ok()) {
    std::fprintf(stderr, "child: %s\n", l.error().to_string().c_str());
    return 3;
  }
  Ledger& ledger = *l->ledger;
  for (const auto& a : demo::demo_authorities()) {
    if (!ledger.authority(a.code)) {
      auto r = ledger.register_authority(a, crypto::KeyAlg::ed25519, "crash");
      if (!r.ok()) return 4;
    }
    if (!ledger.put_blob(a.code, demo::SampleGenerator::sample_photo_png(0)).ok()) return 4;
    if (!ledger.has_active_key(a.code) && !ledger.rotate_key(a.code, crypto::KeyAlg::ed25519, "crash").ok()) return 5;
  }
  std::printf("READY\n");
  std::fflush(stdout);
  std::mutex out_mu;
  auto report = [&](char tag, const std::string& id, uint64_t pos, const std::string& event_id) {
    std::lock_guard lock(out_mu);
    std::printf("%c %s %llu %s\n", tag, id.c_str(), (unsigned long long)pos, event_id.c_str());
    std::fflush(stdout);
  };
  std::vector<std::thread> threads;
  const auto auths = demo::demo_authorities();
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(std::random_device{}());
      demo::SampleGenerator gen(rng());
      std::vector<std::pair<std::string, std::string>> mine;
      for (;;) {
        const auto& a = auths[(t + rng()) % auths.size()];
        if (mine.empty() || rng() % 3) {
          const auto& kind = domain::all_kinds()[rng() % domain::all_kinds().size()];
          auto r = ledger.execute(
              a.code, demo::sample_issue(gen, kind, a, china_date(system_now_ms()).plus_days(-10), "crash"));
          if (r.ok()) {
            report('I', r->state.id, r->record.position, r->record.event.id);
            mine.emplace_back(r->state.id, a.code);
          }
        } else {
          auto& [id, code] = mine[rng() % mine.size()];
          auto r = ledger.execute(code, demo::sample_reissue(id, "crash"));
          if (r.ok()) report('R', id, r->record.position, r->record.event.id);
        }
      }
    });
  for (auto& th : threads) th.join();
  return 0;
}

namespace {

struct Ack {
  char tag;
  std::string id;
  uint64_t position;
  std::string event_id;
};

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// Runs one child for `ms` milliseconds, then SIGKILL. Returns its acks.
std::vector<Ack> run_and_kill(const std::string& dir, int ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string exe = self_exe();
    ::execl(exe.c_str(), exe.c_str(), "crash-child", dir.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string buffer;
  // The kill window opens when the child is ready to append (start-up under
  // sanitizers can take seconds); it may not take forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool ready = false;
  char chunk[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!ready && buffer.find("READY\n") != std::string::npos) {
      ready = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    }
    pollfd p{fds[0], POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(1, left)) > 0) {
      ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }
  ::kill(pid, SIGKILL);
  // Whatever the child had written before it died was acknowledged.
  for (;;) {
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(ready) << "the child never became ready";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child died by itself (status " << status << ")";
  std::vector<Ack> acks;
  std::istringstream in(buffer);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a partial last line was not a complete acknowledgement
    std::istringstream ls(line);
    Ack a;
    if (line == "READY") continue;
    ls >> a.tag >> a.id >> a.position >> a.event_id;
    if (ls) acks.push_back(a);
  }
  return acks;
}

TEST(Crash, NothingAcknowledgedIsLostOrDuplicatedAcrossKill9) {
  const int rounds = std::getenv("CERTLEDGER_CRASH_ROUNDS") ? std::atoi(std::getenv("CERTLEDGER_CRASH_ROUNDS")) : 20;
  auto dir = std::filesystem::temp_directory_path() / ("certledger-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::mt19937 rng(std::random_device{}());
  std::vector<Ack> acks;
  for (int r = 0; r < rounds; ++r) {
    auto got = run_and_kill(dir.string(), 300 + static_cast<int>(rng() % 700));
    acks.insert(acks.end(), got.begin(), got.end());
  }
  ASSERT_GT(acks.size(), static_cast<size_t>(rounds) * 5) << "the child made too little progress";

  ops::OpenOptions o;
  o.data_dir = dir.string();
  auto l = ops::open_data_dir(o);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  auto& store = l->ledger->store();
  // Every acknowledged event is where it was acknowledged.
  for (const auto& a : acks) {
    auto rec = store.record_at(a.position);
    ASSERT_TRUE(rec.ok()) << "acknowledged position " << a.position << " is missing";
    auto se = domain::decode_record(a.position, *rec);
    ASSERT_TRUE(se.ok());
    EXPECT_EQ(se->event.stream, a.id);
    EXPECT_EQ(se->event.id, a.event_id);
  }
  // Exactly once: no event id twice in the log.
  std::set<std::string> event_ids;
  ASSERT_TRUE(store
                  .scan(1, 0,
                        [&](uint64_t pos, std::string_view rec) {
                          auto se = domain::decode_record(pos, std::string(rec));
                          EXPECT_TRUE(se.ok());
                          EXPECT_TRUE(event_ids.insert(se->event.id).second) << "event " << se->event.id << " twice";
                          return true;
                        })
                  .ok());
  EXPECT_EQ(event_ids.size(), store.last_position());
  // Dense positions, chains, signatures, Merkle root and checkpoints.
  auto audit = audit_store(store);
  ASSERT_TRUE(audit.ok()) << audit.error().message;
  EXPECT_GT(audit->checkpoints, 0u);
  // Projections never behind or ahead of the log.
  for (auto* p : l->projection_ptrs()) EXPECT_EQ(p->applied_position(store), store.last_position()) << p->name();
  projections::Reader reader(store);
  for (const auto& a : acks) {
    auto v = reader.certificate(a.id);
    ASSERT_TRUE(v.ok());
    EXPECT_GE(v->last_position, a.position);
  }
  std::printf("crash test: %d kills, %zu acknowledged events, %llu in the log\n", rounds, acks.size(),
              (unsigned long long)store.last_position());
  const uint64_t bad = store.last_position() / 2;
  l->ledger.reset();

  // ledgerctl audit passes on this data dir and fails on a tampered copy,
  // naming the tampered position.
  const std::string ctl = (std::filesystem::path(self_exe()).parent_path() / "ledgerctl").string();
  EXPECT_EQ(std::system((ctl + " audit --data " + dir.string() + " >/dev/null").c_str()), 0);
  auto copy = dir.string() + "-tampered";
  std::filesystem::remove_all(copy);
  std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  {
    store::StoreOptions so;
    so.path = copy + "/db";
    auto s = store::EventStore::open(so);
    ASSERT_TRUE(s.ok());
    std::string rec = *(*s)->record_at(bad);
    rec[rec.size() / 3] ^= 0x04;
    ASSERT_TRUE(store::Raw::put_sync(**s, "events", be64(bad), rec).ok());
  }
  std::string cmd = ctl + " audit --data " + copy + " > " + copy + ".out 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1) << rc;
  std::ifstream out(copy + ".out");
  std::stringstream text;
  text << out.rdbuf();
  EXPECT_NE(text.str().find("position " + std::to_string(bad)), std::string::npos) << text.str();
  std::filesystem::remove_all(copy);
  std::filesystem::remove(copy + ".out");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace certledger

namespace certledger {
int relay_child(const std::string& dir, const std::string& bootstrap, bool work);
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "crash-child") return certledger::crash_child(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "relay-child") return certledger::relay_child(argv[2], argv[3], true);
  if (argc == 4 && std::string(argv[1]) == "relay-drain") return certledger::relay_child(argv[2], argv[3], false);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
