// The ledger service: a data dir holding the RocksDB store and the private
// keys, the registry replayed from the log, and the write path
//   load state -> decide -> build event -> sign (caller's thread) -> sequence.
// Thread-safe: many threads may execute commands at once; signing runs on
// the callers' threads, sequencing on the sequencer's single writer.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/domain/certificate.h"
#include "ledger/domain/report.h"
#include "ledger/keyring.h"
#include "ledger/records.h"
#include "ledger/registry.h"
#include "ledger/store/event_store.h"
#include "ledger/store/sequencer.h"
#include "ledger/vault.h"

namespace certledger {

struct LedgerOptions {
  std::string data_dir = "./data";
  std::string origin = store::kDefaultOrigin;  // checkpoint origin, set at init
  bool create = true;                          // initialise an empty data dir
  bool read_only = false;                      // open the store read-only (no writer)
  store::WritePolicy policy;
  std::string key_passphrase;  // for encrypted PEM files
  Clock clock = system_now_ms;
  std::vector<store::BatchContributor*> contributors;
  bool replica = false;  // appends verified records at given positions
  // Runs after the store opens and before the writer starts (e.g. bringing
  // projections up to the log's last position).
  std::function<Status(store::EventStore&)> before_start;
  // Checkpoint extension lines for a tree size (SequencerOptions).
  std::function<std::vector<std::string>(const store::EventStore&, uint64_t size)> checkpoint_extensions;
  rocksdb::Env* env = nullptr;  // StoreOptions::env
};

// What a command did: the record it appended (or, replayed, the one the
// first request appended) and the certificate after it.
struct Outcome {
  domain::Record record;           // position, bytes, key id, event, hash
  bool replayed = false;           // an idempotent repeat: the first answer
  domain::CertificateState state;  // the certificate after the event (certificate commands)
  // The contributors' fold of the record (the certificate view), when the
  // ledger runs with projections and the record was appended now.
  std::shared_ptr<const store::Folded> folded;
};

// A holder's erasure (删除权, PIPL art. 47): doc/operations.md, "Erasure".
struct ErasureRequest {
  std::string holder;           // the holder reference
  std::string legal_basis;      // e.g. 《个人信息保护法》第四十七条第一款第一项
  std::string reason;           // why, in words
  std::string in_force_reason;  // required while a certificate of the holder is in force
  std::string operator_id;      // an approver of the holder's authority
};

struct ExecOptions {
  static constexpr size_t kMaxIdempotencyKey = 200;  // bytes; longer keys are refused
  std::string idempotency_key;                       // empty: none
  std::optional<uint64_t> expected_version;          // If-Match: the stream version
  std::string idempotency_scope;                     // defaults to the authority code
};

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> open(LedgerOptions options);
  ~Ledger();

  // ---- registry (admin) ----
  Result<std::string> register_authority(const domain::AuthorityInfo& info, crypto::KeyAlg alg,
                                         const std::string& operator_id);
  // Adds a new key for the authority and retires the previous active one.
  Result<std::string> rotate_key(const std::string& authority, crypto::KeyAlg alg, const std::string& operator_id);
  std::optional<domain::AuthorityInfo> authority(const std::string& code) const;
  bool has_active_key(const std::string& code) const;
  std::vector<domain::AuthorityInfo> authorities() const;
  nlohmann::json jwks() const;
  std::string log_verifier_key() const;  // note verifier key of the log key
  std::string origin() const;

  // ---- certificates ----
  // Carries out one lifecycle command of `authority` (issue, convert, amend,
  // reissue, renew, review, suspend, reinstate, cancel, revoke, withdraw):
  // checks, decides (domain::decide), signs with the authority's active key
  // and appends one event. On success the event is durable (synced) and the
  // Outcome holds its position, the signed record and the certificate after
  // it.
  //
  // Errors, each with nothing written:
  //   unavailable          read-only or replica ledger; the writer stopped
  //                        after a failed commit (disk full: restart)
  //   not_found            no such authority, or no such certificate
  //   forbidden            the actor's role may not make this command, or
  //                        the certificate belongs to another authority
  //   invalid_argument     a field or value is wrong (Error::field names it;
  //                        Detail::malformed for input that is not well
  //                        formed), an Idempotency-Key over 200 bytes, or a
  //                        photo this authority did not upload
  //   rule_violation       the lifecycle forbids it in the current state,
  //                        or the authority has no active signing key
  //   already_exists       a unique claim (the business number) is taken
  //                        (Detail::claim_taken, Error::subject the claim)
  //   precondition_failed  opts.expected_version (If-Match) is not the
  //                        certificate's version, also when it changes
  //                        concurrently
  //   conflict             Detail::idempotency_key_reused: the key answered
  //                        a different request; without a detail: the
  //                        certificate kept changing under 8 attempts
  //
  // Idempotency: with opts.idempotency_key, a command repeated with the same
  // key in the same scope (opts.idempotency_scope, default the authority)
  // and the same content answers the first outcome (Outcome::replayed, the
  // position and record of the first time) and writes nothing; the same key
  // with different content is a conflict. The role is checked before the
  // key is looked at, so a replay answers only someone who may make the
  // command.
  //
  // Retries: a race lost to another writer on the same stream is decided
  // again on the new state (up to 8 times) unless opts.expected_version is
  // set. Commands on one certificate queue on its stripe lock, so in one
  // process they rarely race at all.
  //
  // Thread-safe; blocks the calling thread through signing (on this thread)
  // and the group commit's sync (on the sequencer's threads). Never call it
  // from a batch contributor or a commit listener (they run on the writer).
  Result<Outcome> execute(const std::string& authority, domain::CommandInput cmd, const ExecOptions& opts = {});
  // The certificate as of its latest event, or as of a log position.
  Result<domain::CertificateState> load(const std::string& certificate_id, uint64_t at_position = 0) const;
  Result<std::vector<domain::Record>> stream_events(const std::string& stream) const;

  // The certificate as of the end of a day (China time): events recorded by
  // then, and the issuing event from its valid_from (or issue date) on.
  Result<domain::CertificateState> load_at_date(const std::string& certificate_id, Date date) const;

  // ---- personal data ----
  // The vault of holders' data keys (null on a read-only ledger without one).
  KeyVault* vault() const { return vault_.get(); }
  // Erases a holder of `authority`: records a signed holder.erased event
  // naming every certificate of the holder (certificates_of: the
  // projections' holder index), then destroys the holder's data key. The
  // log, its hashes and every proof stay as they were; the projections
  // show the personal fields as erased.
  //   not_found        no such holder here (never issued, or already erased)
  //   rule_violation   a certificate is still in force and no in_force_reason
  //   invalid_argument legal_basis or reason missing or too long
  Result<Outcome> erase_holder(
      const std::string& authority, const ErasureRequest& req,
      const std::function<Result<std::vector<std::string>>(const std::string&)>& certificates_of);

  // ---- test reports (防伪监管标识码) ----
  // Registers a report of the institution holding `institution_id`; the
  // event is signed by the certificate's authority. Outcome.event.data.code.
  Result<Outcome> register_report(const std::string& institution_id, const nlohmann::json& fields,
                                  const std::string& operator_id, const ExecOptions& opts = {});
  // By the institution (institution_id set) or by an approver of the
  // report's authority (authority set).
  Result<Outcome> withdraw_report(const std::string& code, const std::string& reason, const std::string& authority,
                                  const std::string& institution_id, const std::string& operator_id, domain::Role role);
  Result<domain::ReportState> load_report(const std::string& code) const;

  // ---- generic signed append (report codes and other event families) ----
  // Builds, signs with the authority's active key and sequences an event.
  Result<Outcome> append_event(const std::string& authority, domain::Event event, std::vector<std::string> claims,
                               const ExecOptions& opts, const Hash256& request_hash);

  // ---- replica: append a record verified elsewhere, at its position ----
  // REQUIRES: record.position set, record.hash == SHA-256(record.bytes).
  Result<store::AppendResult> append_verified(domain::Record record);
  // The same without waiting: records submitted in position order from one
  // thread are committed in that order, many per sync.
  std::future<Result<store::AppendResult>> submit_verified(domain::Record record);

  // Content-addressed blobs (photos): stored durably before the event that
  // references them; the reference is "sha256:<hex>" of the bytes. Each is
  // owned by the authorities that uploaded it: a command may reference only
  // its own authority's blobs. The bytes are checked first (check_image):
  // nothing that would not render is stored.
  Result<std::string> put_blob(const std::string& authority, std::string_view bytes);
  std::optional<std::string> blob(std::string_view ref) const;
  bool blob_owned_by(const std::string& authority, std::string_view ref) const;

  // Called on the writer thread after each durable commit with the last
  // position. Thread-safe to add at any time.
  void add_commit_listener(std::function<void(uint64_t)> fn);

  store::EventStore& store() { return *store_; }
  const store::EventStore& store() const { return *store_; }
  store::Sequencer* sequencer() { return sequencer_.get(); }
  const LedgerOptions& options() const { return options_; }
  // Every private key file of the data dir (<data>/keys), the document
  // renderers' included, under the one passphrase rule.
  const KeyRing& keys() const { return *keys_; }

 private:
  using VaultWrites = std::vector<std::pair<std::string, std::string>>;
  Ledger() = default;
  Status load_registry();
  Status load_private_keys();
  Status init_log();
  Result<Outcome> append_registry_event(const std::string& authority, const std::string& type, nlohmann::json data,
                                        const std::string& operator_id);
  Result<Outcome> sign_and_append(domain::Event event, const std::string& kid, std::vector<std::string> claims,
                                  const ExecOptions& opts, const Hash256& request_hash, VaultWrites vault_writes = {});
  Result<Outcome> replay_outcome(uint64_t position) const;
  Status check_photo_owner(const std::string& authority, const nlohmann::json& fields) const;
  // Seals a person's fields in the decision; a new holder's key comes back
  // in new_holder (its vault entries go into the record's batch).
  Status seal(const std::string& authority, const std::string& kind, const domain::CertificateState& state,
              domain::Decision& d, std::optional<HolderKey>& new_holder, VaultWrites& vault_writes);
  Status reapply_erasures();

  LedgerOptions options_;
  std::unique_ptr<store::EventStore> store_;
  std::unique_ptr<store::Sequencer> sequencer_;
  mutable std::shared_mutex registry_mu_;
  Registry registry_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<LocalVault> vault_;
  // Sealing commands hold it shared, an erasure exclusively: no certificate
  // is sealed under a holder's key while the holder is being erased.
  mutable std::shared_mutex erasure_mu_;
  std::mutex admin_mu_;  // serialises registry changes
  // Commands on one certificate take its stripe for load -> decide -> sign ->
  // append, so they queue instead of racing; the sequencer's version check
  // still guards against writers outside this process.
  static constexpr size_t kStripes = 4096;
  std::array<std::mutex, kStripes> stripes_;
  std::unique_ptr<store::BatchContributor> gate_;  // RegistryGate, first contributor
  std::mutex listeners_mu_;
  std::vector<std::function<void(uint64_t)>> listeners_;
};

}  // namespace certledger
