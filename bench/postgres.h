// PostgreSQL 15 as an ingest reference (issue #27): a temporary cluster
// (Debian's postgresql-15 binaries, fsync and synchronous_commit on, a
// Unix socket in its own directory, no TCP), and pgbench with a script that
// writes per transaction what the ledger writes per event at the least: one
// event row of 1.2 KB under a unique (stream, version) and one status row
// under a unique QR token and a unique certificate number. No signing, no
// Merkle tree, no projections: a database doing less than the ledger.
//
// initdb and the server refuse to run as root; as root they run as the
// `postgres` user the package creates. Without the binaries (or that user)
// available() is false and says why.
#pragma once

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "bench/common.h"

namespace certledger::bench {

class Postgres {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

  Postgres() {
    if (!std::filesystem::exists(std::string(kBin) + "/initdb") ||
        !std::filesystem::exists(std::string(kBin) + "/pgbench")) {
      why_ = "PostgreSQL 15 is not installed (ops/dev bench installs postgresql-15)";
      return;
    }
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw) {
        why_ = "running as root and there is no postgres user to run PostgreSQL as";
        return;
      }
      as_ = "runuser -u postgres -- ";
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
    }
    dir_ = temp_dir("postgres");
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    if (uid_) (void)!::chown(dir_.c_str(), uid_, gid_);
    const std::string data = (dir_ / "data").string();
    if (!run(std::string(kBin) + "/initdb -D " + data + " -U bench --auth=trust -E UTF8 --no-locale -N")) {
      why_ = "initdb failed (" + (dir_ / "initdb.log").string() + ")";
      return;
    }
    // Durable as the ledger is: every commit synced before it is answered.
    const std::string opts = "-k " + dir_.string() +
                             " -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
                             " -c max_connections=200 -c shared_buffers=512MB -c max_wal_size=4GB";
    if (!run(std::string(kBin) + "/pg_ctl -D " + data + " -l " + (dir_ / "server.log").string() + " -w -o \"" + opts +
             "\" start")) {
      why_ = "the server did not start (" + (dir_ / "server.log").string() + ")";
      return;
    }
    started_ = true;
    const char* schema =
        "CREATE TABLE events (stream text NOT NULL, version int NOT NULL, body text NOT NULL,"
        " PRIMARY KEY (stream, version));"
        "CREATE TABLE status (token text NOT NULL UNIQUE, number text NOT NULL UNIQUE, stream text NOT NULL,"
        " status text NOT NULL);";
    if (!run(std::string(kBin) + "/psql -q -h " + dir_.string() + " -U bench -d postgres -c \"" + schema + "\"")) {
      why_ = "creating the tables failed";
      return;
    }
    std::ofstream(dir_ / "event.sql") << "BEGIN;\n"
                                         "INSERT INTO events VALUES (gen_random_uuid()::text, 1, repeat('x', 1200));\n"
                                         "INSERT INTO status VALUES (gen_random_uuid()::text, "
                                         "gen_random_uuid()::text, gen_random_uuid()::text, 'active');\n"
                                         "END;\n";
    if (uid_) (void)!::chown((dir_ / "event.sql").c_str(), uid_, gid_);
    ready_ = true;
  }

  ~Postgres() {
    if (started_) run(std::string(kBin) + "/pg_ctl -D " + (dir_ / "data").string() + " -m fast -w stop");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool available() const { return ready_; }
  const std::string& why_not() const { return why_; }

  // pgbench's transactions per second over `seconds` with `clients`
  // connections (0 on failure).
  double tps(int clients, double seconds) const {
    const std::string out =
        run_command(as_ + std::string(kBin) + "/pgbench -n -h " + dir_.string() + " -U bench -d postgres -c " +
                    std::to_string(clients) + " -j 2 -T " + std::to_string(static_cast<int>(seconds + 0.5)) + " -f " +
                    (dir_ / "event.sql").string() + " 2>&1");
    const auto at = out.find("tps = ");
    return at == std::string::npos ? 0 : std::atof(out.c_str() + at + 6);
  }

 private:
  bool run(const std::string& cmd) const {
    return std::system((as_ + cmd + " >>" + (dir_ / "commands.log").string() + " 2>&1").c_str()) == 0;
  }

  std::filesystem::path dir_;
  std::string as_;  // "runuser -u postgres -- " when root
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool started_ = false, ready_ = false;
  std::string why_;
};

}  // namespace certledger::bench
