// The primary's side of witnessing (C2SP tlog-witness): each checkpoint the
// store records is sent to the configured witnesses in parallel, with a
// consistency proof from the size each last cosigned, and the cosignatures
// that come back within the timeout (and verify with the witness's key)
// are added to the stored note, so every reader of checkpoints (API,
// tiles, Kafka heartbeats, proof bundles) gets the cosigned one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/merkle/policy.h"
#include "ledger/store/event_store.h"
#include "ledger/util/result.h"

namespace certledger::ops {

struct WitnessPeer {
  std::string url;   // submission prefix: POST <url>/add-checkpoint
  std::string name;  // the witness's key name
  crypto::PublicKey key;
};

// A witnesses file: {"witnesses": [{"url": "http://...", "key": "<vkey>"}],
// "timeout_ms": 2000, "quorum": 2}; key is the witness's cosigner verifier
// key; quorum (optional: a number, "all" or "any") is how many of them must
// cosign a checkpoint before this log hands out proofs against it.
struct WitnessesFile {
  std::vector<WitnessPeer> witnesses;
  std::chrono::milliseconds timeout{2000};
  size_t quorum = 0;  // 0: none required
  // The quorum as a C2SP tlog-policy of this log's witnesses (nullopt when
  // quorum is 0).
  Result<std::optional<merkle::Policy>> policy() const;
};
Result<WitnessesFile> read_witnesses_file(const std::string& path);

class Cosigner {
 public:
  struct Reply {
    int status = 0;
    std::string content_type, body;
  };
  // POSTs a body to a URL within a timeout (api::http_post in ledgerd).
  using Poster =
      std::function<Result<Reply>(const std::string& url, const std::string& body, std::chrono::milliseconds timeout)>;
  Cosigner(store::EventStore& store, WitnessesFile witnesses, Poster post);
  ~Cosigner();

  struct Stats {
    uint64_t cosigned = 0;  // checkpoints stored with at least one cosignature
    uint64_t refused = 0;   // witness answers that were not a cosignature
    double last_ms = 0;     // the last round: from the checkpoint to the cosigned note stored
    size_t last_cosignatures = 0;
    uint64_t rounds = 0;    // rounds run (a note already cosigned is not a round)
    double total_ms = 0;    // their time together
  };
  Stats stats() const;
  // False while this note of this size waits for, or is in, a cosigning
  // round (the relay holds it back: the cosigned note replaces it).
  bool settled(uint64_t size, const std::string& note) const;

 private:
  void run();
  void round(uint64_t size, const std::string& note);
  std::optional<std::string> ask(WitnessPeer& w, uint64_t size, const std::string& note);
  store::EventStore& store_;
  WitnessesFile file_;
  Poster post_;
  std::map<std::string, uint64_t> held_;  // per witness url: the size it last cosigned (worker thread only)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::pair<uint64_t, std::string>> offered_;  // guarded by mu_
  std::optional<std::pair<uint64_t, std::string>> asking_;   // the round in progress; guarded by mu_
  bool stopping_ = false;                                    // guarded by mu_
  Stats stats_;                                              // guarded by mu_
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
  std::thread worker_;
};

}  // namespace certledger::ops
