// A transparency log witness (C2SP tlog-witness, with C2SP tlog-cosignature
// cosignature/v1): logs submit each new checkpoint with a consistency proof
// from the last one this witness cosigned for them; it checks the log's
// signature and the proof, records the new checkpoint durably, and returns
// its cosignature. It never cosigns a checkpoint that does not extend the
// one it holds, and keeps the two signed checkpoints of a log that showed it
// different histories as evidence (they prove the fork by themselves).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/store/event_store.h"
#include "ledger/util/time.h"

namespace certledger {

struct WitnessedLog {
  std::string origin;  // the checkpoint origin line, and the log key's name
  crypto::PublicKey key;
  // A replica's own root of the log at a size, computed from the records it
  // verified, when it has them: a checkpoint that differs is refused, so a
  // replica's cosignature also says "I hold these records". Unset for a
  // witness that keeps no copy of the log.
  std::function<std::optional<Hash256>(uint64_t size)> local_root;
  // A signed checkpoint of that size the replica stored, if any: with the
  // offered one, evidence of a fork.
  std::function<std::optional<std::string>(uint64_t size)> local_checkpoint;
};

class Witness {
 public:
  Witness(store::EventStore& store, std::string name, std::shared_ptr<const crypto::PrivateKey> key,
          std::vector<WitnessedLog> logs, Clock clock = system_now_ms);

  // An HTTP answer as tlog-witness specifies it.
  struct Answer {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain; charset=utf-8";
  };
  // POST <prefix>/add-checkpoint with this body.
  Answer add_checkpoint(std::string_view request);

  const std::string& name() const { return name_; }
  std::string verifier_key() const;  // cosigner_verifier_key
  // Since start: split views (another tree of the size it holds: the two
  // signed checkpoints prove the fork by themselves), and checkpoints whose
  // consistency proof did not verify (a fork, or a client's bug).
  uint64_t split_views() const { return split_views_.load(std::memory_order_relaxed); }
  uint64_t inconsistent() const { return inconsistent_.load(std::memory_order_relaxed); }
  // Told of each (the operator's log); set before requests arrive.
  std::function<void(const std::string&)> on_fork;

 private:
  Answer refuse(int status, std::string why) const;
  void keep_evidence(const std::string& origin, const std::string& held, std::string_view offered, const char* what,
                     std::atomic<uint64_t>& counter);
  store::EventStore& store_;
  std::string name_;
  std::shared_ptr<const crypto::PrivateKey> key_;
  std::vector<WitnessedLog> logs_;
  Clock clock_;
  std::mutex mu_;  // the check against the held checkpoint and its update are one step
  std::atomic<uint64_t> split_views_{0}, inconsistent_{0};
};

}  // namespace certledger
