// The statement proof bundle (doc/proof_format.md): what a QR answer
// carries so that a phone, a cache or an auditor can check it with only the
// log's public key: the token's public statement, the state map proof for
// it, the RFC 9162 inclusion proof of the record that last changed it, and
// the signed checkpoint they are all checked against. Text, modelled on
// C2SP tlog-proof, so it travels on its own (saved, mailed, printed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/crypto/keys.h"
#include "ledger/merkle/policy.h"
#include "ledger/store/event_store.h"
#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::projections {

inline constexpr std::string_view kBundleHeader = "certledger.example/statement-proof/v1";

// Proves tokens' statements against the newest checkpoint whose state it
// holds: a read snapshot of the store taken where that checkpoint was
// written, and its own copy of the state map's tree above the buckets,
// brought to that checkpoint from the bucket roots stored beside the
// buckets. Readers never wait for the writer, and the writer never waits
// for them: a new checkpoint is taken up on the prover's own thread.
// A checkpoint is taken up only if the snapshot's map is at its size and
// the tree rebuilt from it has the checkpoint's map root.
class StatementProver {
 public:
  explicit StatementProver(const store::EventStore& store);
  ~StatementProver();
  StatementProver(const StatementProver&) = delete;
  StatementProver& operator=(const StatementProver&) = delete;

  // Takes up the store's latest checkpoint now (on this thread).
  // unavailable if the store is not at that checkpoint's size.
  Status publish_latest();
  // From now on takes up every checkpoint the store writes, on a thread of
  // its own (the newest one when several wait).
  void follow();

  struct Proof {
    uint64_t tree_size = 0;
    std::string body;                      // the bundle's lines before the checkpoint, ending in the blank line
    std::string note;                      // the newest checkpoint of that size
    std::optional<std::string> statement;  // absent: the proof shows the token is absent
    uint64_t position = 0;                 // the statement's record
    std::string bundle() const { return body + note; }
  };
  // unavailable until a checkpoint is taken up.
  Result<Proof> prove(std::string_view token) const;
  // The newest checkpoint taken up; null before the first.
  struct Published {
    uint64_t size = 0;
    std::string note;
  };
  std::shared_ptr<const Published> checkpoint() const;
  // Checkpoints refused (their state did not match their map root).
  uint64_t refused() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The bundle for a token against the store's latest checkpoint.
// REQUIRES: nothing is written meanwhile, and the latest checkpoint covers
// the store's last position (as after a clean shutdown): else
// unavailable. An unknown token gets a bundle without a statement:
// its proof shows the token is absent.
Result<std::string> build_statement_bundle(const store::EventStore& store, std::string_view token);

struct BundleCheck {
  std::string token;
  std::optional<std::string> statement;  // absent: the token is not in the map
  std::string status;                    // the statement's, or "expired" derived from valid_until; "unknown"
  uint64_t tree_size = 0;
  UnixMillis checkpoint_time = 0;      // from the "time" line
  int64_t age_seconds = 0;             // now - checkpoint_time
  bool fresh = true;                   // age_seconds <= max_age_seconds
  std::vector<std::string> witnesses;  // the quorum's witnesses whose cosignature verified
};
// Checks everything in the bundle against the log's origin and key: the
// checkpoint's signature, the map proof against its map-root, the
// statement's bytes, the record's inclusion at its position. Errors
// (corruption) say what failed. An old checkpoint is not an error: fresh
// is false. With a quorum (merkle::Policy), a checkpoint without enough
// valid witness cosignatures is refused: unavailable, "below the witness
// quorum" (a log showing this reader a history nobody else saw).
Result<BundleCheck> verify_statement_bundle(std::string_view bundle, std::string_view origin,
                                            const crypto::PublicKey& log_key, UnixMillis now,
                                            int64_t max_age_seconds = 60, const merkle::Policy* quorum = nullptr);

}  // namespace certledger::projections
