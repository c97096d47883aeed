#include "ledger/ledger.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>

#include "ledger/crypto/jws.h"
#include "ledger/domain/identifiers.h"
#include "ledger/domain/privacy.h"
#include "ledger/domain/validate.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/registry_gate.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/random.h"

namespace certledger {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Status check_idempotency_key(const std::string& key) {
  if (key.size() > ExecOptions::kMaxIdempotencyKey)
    return make_error(Errc::invalid_argument,
                      "Idempotency-Key is longer than " + std::to_string(ExecOptions::kMaxIdempotencyKey) + " bytes",
                      "Idempotency-Key");
  return {};
}

// The command as the text an idempotent request's hash covers.
std::string command_text(const domain::CommandInput& c) {
  const bool creates = c.type == domain::CommandType::issue || c.type == domain::CommandType::convert;
  json j = {{"type", domain::command_name(c.type)},
            {"certificate", creates ? std::string() : c.certificate_id},
            {"kind", c.kind},
            {"fields", c.fields},
            {"changes", c.changes},
            {"reason", c.reason},
            {"valid_from", c.valid_from},
            {"valid_until", c.valid_until},
            {"until", c.until},
            {"decision", c.decision},
            {"operator", c.actor.operator_id}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Ledger::~Ledger() {
  if (sequencer_) sequencer_->stop();
  sequencer_.reset();
  store_.reset();
}

Result<std::unique_ptr<Ledger>> Ledger::open(LedgerOptions options) {
  std::unique_ptr<Ledger> l(new Ledger());
  l->options_ = std::move(options);
  l->keys_ = std::make_unique<KeyRing>((fs::path(l->options_.data_dir) / "keys").string(), l->options_.key_passphrase);
  std::error_code ec;
  const fs::path data(l->options_.data_dir);
  if (!fs::exists(data / "db")) {
    if (!l->options_.create || l->options_.read_only)
      return make_error(Errc::not_found, "no ledger in " + data.string() + " (run ledgerctl init)");
    const bool new_dir = !fs::exists(data);
    fs::create_directories(data / "db", ec);
    if (ec) return make_error(Errc::io_error, "cannot create " + data.string() + ": " + ec.message());
    if (new_dir) fs::permissions(data, fs::perms::owner_all, ec);
  }
  // The store holds personal data, keys/ the private keys: owner only, so
  // no file in them is reachable by others whatever mode it was created with.
  if (!l->options_.read_only) {
    fs::create_directories(data / "keys", ec);
    for (const char* d : {"db", "keys"}) {
      fs::permissions(data / d, fs::perms::owner_all, ec);
      if (ec) return make_error(Errc::io_error, "cannot restrict " + (data / d).string() + ": " + ec.message());
    }
  }

  store::StoreOptions so;
  so.path = (data / "db").string();
  so.read_only = l->options_.read_only;
  so.env = l->options_.env;
  for (auto* c : l->options_.contributors)
    for (const auto& cf : c->column_families()) so.extra_column_families.push_back(cf);
  CL_ASSIGN(l->store_, store::EventStore::open(so));
  CL_TRY(l->load_registry());
  {
    auto vault = LocalVault::open(*l->store_, l->keys_->dir(), l->options_.key_passphrase, l->options_.read_only);
    if (vault.ok()) l->vault_ = std::move(*vault);
    else if (!l->options_.read_only) return vault.error();
  }
  if (l->options_.read_only) return l;
  CL_TRY(l->reapply_erasures());
  CL_TRY(l->load_private_keys());
  if (l->options_.before_start) CL_TRY(l->options_.before_start(*l->store_));

  std::shared_ptr<const crypto::PrivateKey> log_key;
  const bool fresh = !l->registry_.initialized();
  if (fresh && l->options_.replica) {
    // A replica takes its log, key history included, from the primary.
  } else if (fresh) {
    const std::string kid = "log/k1";
    CL_ASSIGN(auto k, l->keys_->read_or_create(kid, crypto::KeyAlg::ed25519));
    log_key = std::make_shared<crypto::PrivateKey>(std::move(k));
    l->keys_->hold(kid, log_key);
  } else if (!l->options_.replica) {
    auto kid = l->registry_.active_kid("");
    if (!kid) return make_error(Errc::corruption, "the log has no active log key");
    CL_ASSIGN(log_key, l->keys_->held(*kid));
  }

  store::SequencerOptions seq;
  seq.policy = l->options_.policy;
  seq.origin = fresh ? l->options_.origin : l->registry_.origin();
  seq.log_key = l->options_.replica ? nullptr : log_key;
  seq.clock = l->options_.clock;
  if (auto ext = l->options_.checkpoint_extensions)
    seq.checkpoint_extensions = [ext, s = l->store_.get()](uint64_t size) { return ext(*s, size); };
  std::vector<store::BatchContributor*> contributors;
  auto gate = make_registry_gate(l->registry_, l->registry_mu_);
  contributors.push_back(gate.get());
  for (auto* c : l->options_.contributors) contributors.push_back(c);
  l->gate_ = std::move(gate);
  l->sequencer_ = std::make_unique<store::Sequencer>(*l->store_, seq, contributors);
  l->sequencer_->on_commit([p = l.get()](uint64_t pos) {
    std::lock_guard lock(p->listeners_mu_);
    for (auto& fn : p->listeners_) fn(pos);
  });
  if (!l->sequencer_->healthy())
    return make_error(Errc::corruption, "stored Merkle state does not match the log; run ledgerctl audit");
  if (fresh && !l->options_.replica) CL_TRY(l->init_log());
  return l;
}

Status Ledger::load_registry() {
  // Registry streams: "log" and every "authority:*"; replay them in position order.
  std::vector<uint64_t> positions;
  CL_ASSIGN(auto log_positions, store_->stream_positions(kLogStream));
  positions = log_positions;
  std::vector<std::string> authority_streams;
  CL_TRY(store_->scan_prefix(store::kCfHeads, "authority:", [&](std::string_view stream, std::string_view) {
    authority_streams.emplace_back(stream);
    return true;
  }));
  for (const auto& stream : authority_streams) {
    CL_ASSIGN(auto p, store_->stream_positions(stream));
    positions.insert(positions.end(), p.begin(), p.end());
  }
  std::sort(positions.begin(), positions.end());
  Registry r;
  for (uint64_t pos : positions) {
    CL_ASSIGN(std::string record, store_->record_at(pos));
    CL_ASSIGN(domain::Record se, domain::decode_record(pos, std::move(record)));
    CL_TRY(r.apply(se.event, pos, se.kid));
  }
  std::unique_lock lock(registry_mu_);
  registry_ = std::move(r);
  return {};
}

Status Ledger::load_private_keys() {
  for (const std::string& name : keys_->names()) {
    std::shared_lock lock(registry_mu_);
    const KeyRecord* rec = registry_.key(name);
    if (!rec || rec->retired_at) continue;  // not (or no longer) an event signing key
    const std::string expected = rec->key.raw();
    lock.unlock();
    CL_ASSIGN(auto k, keys_->read(name));
    if (k.public_key().raw() != expected)
      return make_error(Errc::corruption, "key file " + keys_->path(name) + " does not match the log's key " + name);
    keys_->hold(name, std::make_shared<crypto::PrivateKey>(std::move(k)));
  }
  return {};
}

Status Ledger::init_log() {
  const std::string kid = "log/k1";
  CL_ASSIGN(auto key, keys_->held(kid));
  domain::Event e;
  const UnixMillis now = options_.clock();
  e.id = uuid_v7(now);
  e.type = "log.initialized";
  e.stream = std::string(kLogStream);
  e.seq = 1;
  e.authority = std::string(kLogAuthority);
  e.actor = {{"operator", "ledgerd"}, {"role", "admin"}, {"trail", json::array()}};
  e.time = now;
  e.data = key_data(kid, key->public_key());
  e.data["origin"] = options_.origin;
  CL_ASSIGN(auto out, sign_and_append(std::move(e), kid, {}, {}, Hash256{}));
  if (out.record.position != 1) return make_error(Errc::corruption, "log.initialized is not at position 1");
  return {};
}

Result<Outcome> Ledger::sign_and_append(domain::Event event, const std::string& kid, std::vector<std::string> claims,
                                        const ExecOptions& opts, const Hash256& request_hash,
                                        VaultWrites vault_writes) {
  if (!sequencer_) return make_error(Errc::unavailable, "the ledger is open read-only");
  CL_TRY(check_idempotency_key(opts.idempotency_key));
  CL_ASSIGN(auto key, keys_->held(kid));
  store::AppendRequest req;
  CL_ASSIGN(req.record.bytes, crypto::jws_sign(*key, kid, domain::serialize_event(event)));
  req.record.hash = sha256(req.record.bytes);
  req.record.kid = kid;
  req.idempotency_scope = opts.idempotency_scope.empty() ? event.authority : opts.idempotency_scope;
  req.record.event = std::move(event);
  req.idempotency_key = opts.idempotency_key;
  req.request_hash = request_hash;
  req.claims = std::move(claims);
  req.vault_writes = std::move(vault_writes);
  CL_ASSIGN(auto res, sequencer_->append(std::move(req)));
  if (res.replayed) return replay_outcome(res.position);
  Outcome o;
  o.record = std::move(res.record);
  o.folded = std::move(res.folded);
  return o;
}

Result<Outcome> Ledger::replay_outcome(uint64_t position) const {
  CL_ASSIGN(std::string record, store_->record_at(position));
  Outcome o;
  CL_ASSIGN(o.record, domain::decode_record(position, std::move(record)));
  o.replayed = true;
  if (domain::is_certificate_id(o.record.event.stream)) {
    CL_ASSIGN(o.state, load(o.record.event.stream, position));
  }
  return o;
}

// A photo a command names is a blob this authority uploaded, never another's.
Status Ledger::check_photo_owner(const std::string& authority, const json& fields) const {
  if (!fields.is_object()) return {};
  auto ph = fields.find("photo");
  if (ph == fields.end() || !ph->is_string()) return {};
  const std::string& ref = ph->get_ref<const std::string&>();
  if (ref.rfind("sha256:", 0) == 0 && !blob_owned_by(authority, ref))
    return make_error(Errc::invalid_argument, "no photo " + ref + " was uploaded by " + authority, "photo");
  return {};
}

namespace {

// The event a decision makes: the next of the certificate's stream.
domain::Event decided_event(const domain::CommandInput& cmd, const domain::CertificateState& state, domain::Decision& d,
                            const std::string& authority, UnixMillis now, bool creates) {
  domain::Event e;
  e.id = uuid_v7(now);
  e.type = d.type;
  e.stream = cmd.certificate_id;
  e.seq = state.stream_version + 1;
  e.authority = authority;
  e.kind = creates ? cmd.kind : state.kind;
  e.actor = std::move(d.actor);
  e.time = now;
  e.data = std::move(d.data);
  e.prev = state.last_hash;
  return e;
}

}  // namespace

Result<Outcome> Ledger::execute(const std::string& code, domain::CommandInput cmd, const ExecOptions& opts) {
  if (!sequencer_ || options_.replica)
    return make_error(Errc::unavailable, "this ledger does not accept commands (read-only or replica)");
  auto auth = authority(code);
  if (!auth) return make_error(Errc::not_found, "no authority " + code);
  // The role first: an idempotent replay answers only someone who may make
  // the command, and nothing below is worth doing for anyone else.
  CL_TRY(domain::check_role(cmd.actor.role, cmd.type));
  CL_TRY(check_idempotency_key(opts.idempotency_key));
  const bool creates = cmd.type == domain::CommandType::issue || cmd.type == domain::CommandType::convert;
  CL_TRY(check_photo_owner(code, creates ? cmd.fields : cmd.changes));
  std::optional<std::string> kid;
  {
    std::shared_lock lock(registry_mu_);
    kid = registry_.active_kid(code);
  }
  if (!kid) return make_error(Errc::rule_violation, "authority " + code + " has no active signing key");
  // What an Idempotency-Key promises; without a key nothing reads it.
  // Keyed by the vault when there is one: the fields may be a person's.
  const std::string text = opts.idempotency_key.empty() ? std::string() : command_text(cmd);
  const Hash256 request_hash =
      opts.idempotency_key.empty() ? Hash256{} : (vault_ ? vault_->keyed_digest(text) : sha256(text));
  const std::string scope = opts.idempotency_scope.empty() ? code : opts.idempotency_scope;
  if (!opts.idempotency_key.empty()) {
    if (auto v = store_->idempotency(scope, opts.idempotency_key)) {
      // (A request first made before the hash was keyed holds the plain one.)
      if (v->request_hash != request_hash && v->request_hash != sha256(text))
        return make_error(Errc::conflict, Detail::idempotency_key_reused,
                          "Idempotency-Key \"" + opts.idempotency_key + "\" was already used for a different request",
                          "Idempotency-Key");
      return replay_outcome(v->position);
    }
  }
  // A generated id (random, never used) has no stream to read; one the
  // caller chose might.
  const bool fresh_id = creates && cmd.certificate_id.empty();
  if (fresh_id) cmd.certificate_id = new_certificate_id(options_.clock());
  if (!creates && !domain::is_certificate_id(cmd.certificate_id))
    return make_error(Errc::not_found, "no certificate " + cmd.certificate_id);

  std::lock_guard stripe(stripes_[std::hash<std::string>{}(cmd.certificate_id) % kStripes]);
  std::shared_lock no_erasure(erasure_mu_);
  for (int attempt = 0; attempt < 8; ++attempt) {
    // A fresh id has no events yet; a retry (or a reused id) reads the stream.
    domain::CertificateState state;
    state.id = cmd.certificate_id;
    if (!creates || attempt > 0 || (!fresh_id && store_->head(cmd.certificate_id).version > 0)) {
      CL_ASSIGN(state, load(cmd.certificate_id));
    }
    if (opts.expected_version && state.stream_version != *opts.expected_version)
      return make_error(Errc::precondition_failed, "certificate " + cmd.certificate_id + " is at version " +
                                                       std::to_string(state.stream_version) + ", not " +
                                                       std::to_string(*opts.expected_version));
    const UnixMillis now = options_.clock();
    domain::DecideContext ctx{now, &*auth, new_public_token};
    // Decided on the personal data itself where the vault holds the key
    // (an amendment compares values), sealed again before signing.
    domain::Decision d;
    if (!state.sealed.empty() && vault_) {
      CL_ASSIGN(auto key, vault_->key(state.holder));
      if (key) {
        CL_ASSIGN(auto opened, domain::unsealed(state, key->key));
        CL_ASSIGN(d, domain::decide(opened, cmd, ctx));
      } else {
        CL_ASSIGN(d, domain::decide(state, cmd, ctx));
      }
    } else {
      CL_ASSIGN(d, domain::decide(state, cmd, ctx));
    }
    std::optional<HolderKey> new_holder;
    VaultWrites vault_writes;
    CL_TRY(seal(code, creates ? cmd.kind : state.kind, state, d, new_holder, vault_writes));
    ExecOptions o = opts;
    o.idempotency_scope = scope;
    auto r = sign_and_append(decided_event(cmd, state, d, code, now, creates), *kid, std::move(d.unique_claims), o,
                             request_hash, std::move(vault_writes));
    if (r.ok()) {
      if (new_holder && !r->replayed) vault_->stored(*new_holder);
      if (r->replayed) return r;
      // The certificate after the event: the projections' fold when they
      // ran, else (a ledger without projections) the one fold here.
      if (const auto* after = r->folded ? r->folded->certificate() : nullptr) {
        r->state = *after;
      } else {
        r->state = std::move(state);
        CL_TRY(domain::apply_event(r->state, r->record.event, hash_hex(r->record.hash)));
      }
      return r;
    }
    const Error& err = r.error();
    if (err.code != Errc::conflict || err.detail != Detail::none) return err;
    if (opts.expected_version)
      return make_error(Errc::precondition_failed,
                        "certificate " + cmd.certificate_id + " changed concurrently: " + err.message);
    // Lost a race with another command on the same certificate: decide again.
  }
  return make_error(Errc::conflict, "certificate " + cmd.certificate_id + " is changing too fast; try again");
}

// Format 2: a person kind's personal fields go into the event sealed under
// the holder's data key (domain/privacy.h), SM4-GCM for an authority that
// signs with SM2, AES-256-GCM otherwise.
Status Ledger::seal(const std::string& code, const std::string& kind_code, const domain::CertificateState& state,
                    domain::Decision& d, std::optional<HolderKey>& new_holder, VaultWrites& vault_writes) {
  const auto* kind = domain::find_kind(kind_code);
  nlohmann::json* object = kind ? domain::sealable_object(*kind, d.type, d.data) : nullptr;
  if (!object) return {};
  if (!vault_) return make_error(Errc::unavailable, "this ledger has no key vault to seal personal data");
  crypto::Aead enc = crypto::Aead::a256gcm;
  {
    std::shared_lock lock(registry_mu_);
    if (auto kid = registry_.active_kid(code))
      if (const KeyRecord* k = registry_.key(*kid); k && k->key.alg() == crypto::KeyAlg::sm2)
        enc = crypto::Aead::sm4gcm;
  }
  std::optional<HolderKey> key;
  if (!state.holder.empty()) {
    CL_ASSIGN(key, vault_->key(state.holder));
    if (!key)
      return make_error(Errc::rule_violation,
                        "the personal data of this certificate's holder was erased; "
                        "its personal fields can no longer change");
  } else {
    // A new holder, or a certificate recorded before format 2 (its
    // personal data in clear in its first records): the ID number names it.
    const std::string id_field(kind->holder_id_field);
    std::string id;
    if (auto f = object->find(id_field); f != object->end() && f->is_string()) id = f->get<std::string>();
    else if (auto g = state.fields.find(id_field); g != state.fields.end() && g->is_string())
      id = g->get<std::string>();
    CL_ASSIGN(auto k, vault_->holder(code, id, enc));
    key = std::move(k);
    if (!key->writes.empty()) new_holder = key;
  }
  vault_writes = key->writes;
  // Which holders use a photo (the same picture may serve several): an
  // erasure removes the photo when its last holder goes.
  if (auto ph = object->find("photo"); ph != object->end() && ph->is_string())
    vault_writes.emplace_back(photo_use_key(ph->get<std::string>(), key->ref), std::string());
  CL_ASSIGN(auto personal, domain::seal_personal(*kind, *object, {key->ref, key->enc, key->key}));
  if (!personal.is_null()) d.data["personal"] = std::move(personal);
  return {};
}

Result<Outcome> Ledger::append_event(const std::string& code, domain::Event event, std::vector<std::string> claims,
                                     const ExecOptions& opts, const Hash256& request_hash) {
  std::optional<std::string> kid;
  {
    std::shared_lock lock(registry_mu_);
    kid = registry_.active_kid(code);
  }
  if (!kid) return make_error(Errc::rule_violation, "authority " + code + " has no active signing key");
  event.authority = code;
  return sign_and_append(std::move(event), *kid, std::move(claims), opts, request_hash);
}

void Ledger::add_commit_listener(std::function<void(uint64_t)> fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(fn));
}

Result<store::AppendResult> Ledger::append_verified(domain::Record record) {
  return submit_verified(std::move(record)).get();
}

std::future<Result<store::AppendResult>> Ledger::submit_verified(domain::Record record) {
  if (!sequencer_) {
    std::promise<Result<store::AppendResult>> refused;
    refused.set_value(make_error(Errc::unavailable, "the ledger is open read-only"));
    return refused.get_future();
  }
  store::AppendRequest req;
  req.claims = domain::event_claims(record.event);
  req.record = std::move(record);
  return sequencer_->submit(std::move(req));
}

}  // namespace certledger
