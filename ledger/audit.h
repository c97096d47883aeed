// Independent verification of a log: every signature against the key valid
// at that position (key history replayed from the log itself), every
// per-stream chain link and stream version, dense positions, the Merkle root
// against every checkpoint. The same code checks a data dir, an exported
// JSONL file and (later) the Kafka topics.
#pragma once

#include "ledger/domain/record.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "ledger/crypto/jws.h"
#include "ledger/crypto/keys.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/policy.h"
#include "ledger/merkle/tree.h"
#include "ledger/registry.h"
#include "ledger/store/event_store.h"

namespace certledger {

struct AuditSummary {
  uint64_t events = 0;
  uint64_t certificates = 0;
  uint64_t authorities = 0;
  uint64_t keys = 0;
  uint64_t checkpoints = 0;
  uint64_t streams = 0;
  Hash256 root{};
  double seconds = 0;
  // With a witness quorum (Auditor::set_quorum): the largest checkpoint
  // size that met it, the newest checkpoint size, and how many checkpoint
  // sizes had no note meeting it.
  uint64_t witnessed_size = 0;
  uint64_t newest_checkpoint = 0;
  uint64_t below_quorum = 0;
  // The newest checkpoint is below the quorum: the log's present state has
  // not been seen by enough witnesses (error text; empty when it is fine).
  std::string quorum_failure() const;
  std::string quorum;  // Policy::describe(), empty without a quorum
};

struct AuditFailure {
  uint64_t position = 0;  // first bad position (0: not tied to one)
  std::string reason;
};

// What a record needs before it is applied in log order, worked out ahead
// on any thread (Auditor::prepare_batch runs them on every core): the JWS
// parsed, the event decoded, and the signature verified with the key its
// kid named among the keys known when the batch began. The auditor still
// decides, in order, whether that key may sign at that position; a record
// whose key was not known yet is verified then.
struct PreparedRecord {
  std::optional<crypto::JwsParts> parts;
  std::optional<domain::Event> event;
  std::string error;                              // why parsing failed, if it did
  std::optional<crypto::PublicKey> checked_with;  // the key the signature was checked with, if any
  Status verdict;                                 // what that check said
};

class Auditor {
 public:
  // trusted_log_key: if set, log.initialized must introduce exactly this key.
  explicit Auditor(std::optional<crypto::PublicKey> trusted_log_key = std::nullopt);

  // Checkpoints to check when the tree reaches their size. Add them before
  // the records they cover. Several notes of one size (a log signs its size
  // again, witnesses add cosignatures) are all checked.
  Status expect_checkpoint(uint64_t size, std::string note);
  // Checkpoints must carry valid cosignatures of this quorum's witnesses;
  // those that do not are counted (AuditSummary), a cosignature that does
  // not verify fails the audit. The policy must outlive the auditor.
  void set_quorum(const merkle::Policy* quorum);
  // The next record; position must be last + 1. If it passes and `accepted`
  // is given, it receives the decoded record (position, key id, event,
  // hash) but not the bytes, which stay the caller's to move in.
  Status add_record(uint64_t position, std::string_view bytes, domain::Record* accepted = nullptr,
                    PreparedRecord* prepared = nullptr);
  // Prepares a batch of records on every core, with the keys known now.
  // Apply them afterwards, in order, with add_record(..., &prepared[i]).
  std::vector<PreparedRecord> prepare_batch(const std::vector<std::string_view>& records) const;
  // The same in two steps, so a batch can be prepared on other threads
  // while this auditor applies the one before: the keys known now (taken
  // on the applying thread), then the work (any thread).
  using KeySnapshot = std::unordered_map<std::string, crypto::PublicKey>;
  KeySnapshot key_snapshot() const;
  static std::vector<PreparedRecord> prepare_batch(const std::vector<std::string_view>& records,
                                                   const KeySnapshot& keys);
  // Optionally called with each Merkle node the store holds, to compare.
  using NodeCheck = std::function<Status(merkle::NodeId, const Hash256&)>;
  void set_node_check(NodeCheck fn) { node_check_ = std::move(fn); }
  // Every expected checkpoint must have been reached.
  Status finish();

  const AuditSummary& summary() const { return summary_; }
  const Registry& registry() const { return registry_; }
  const merkle::CompactRange& range() const { return range_; }
  uint64_t last_position() const { return range_.size(); }

 private:
  Status fail(uint64_t position, std::string reason);
  std::optional<crypto::PublicKey> trusted_log_key_;
  Registry registry_;
  merkle::CompactRange range_;
  std::unordered_map<std::string, std::pair<uint64_t, Hash256>> heads_;  // stream -> seq, hash
  std::map<uint64_t, std::vector<std::string>> pending_checkpoints_;
  const merkle::Policy* quorum_ = nullptr;
  NodeCheck node_check_;
  AuditSummary summary_;
  std::optional<AuditFailure> failure_;
};

// Feeds an auditor records in position order, in batches: each batch is
// parsed and its signatures verified on every core while the batch before
// is applied in order (Auditor::prepare_batch with the keys known when the
// batch was handed over). `accepted` runs, in order, on each record the
// auditor accepted (a projection's audit, an index check); an error there
// stops the audit.
class BatchedAudit {
 public:
  using Accepted = std::function<Status(const domain::Record&)>;
  BatchedAudit(Auditor& auditor, Accepted accepted, size_t batch = 2048);
  ~BatchedAudit();
  // The record at `position` (last + 1); applied later, or now if it
  // fills a batch. The first error (this record's or an earlier one's).
  Status add(uint64_t position, std::string_view record);
  // Applies what is left.
  Status finish();

 private:
  struct Batch;
  Status hand_over();
  Status apply(Batch& b);
  Auditor& auditor_;
  Accepted accepted_;
  size_t size_;
  std::unique_ptr<Batch> filling_, ahead_;
  Status status_;
};

// Audits a data dir's store: records, stream index, Merkle nodes, meta and
// checkpoints. Errors carry the first bad position in their message.
Result<AuditSummary> audit_store(const store::EventStore& store,
                                 std::optional<crypto::PublicKey> trusted_log_key = std::nullopt,
                                 const std::function<void(uint64_t, uint64_t)>& progress = {},
                                 const merkle::Policy* quorum = nullptr);

}  // namespace certledger
