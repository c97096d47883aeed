#include "ops/common/cosigner.h"

#include <fstream>
#include <future>
#include <sstream>

#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"

namespace certledger::ops {

Result<WitnessesFile> read_witnesses_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::io_error, "cannot read witnesses file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  CL_ASSIGN(auto j, parse_json(ss.str(), path));
  const Error shape =
      make_error(Errc::invalid_argument, path + ": expected {\"witnesses\": [{\"url\", \"key\"}], \"timeout_ms\"}");
  if (!j.is_object() || !j.contains("witnesses") || !j["witnesses"].is_array()) return shape;
  WitnessesFile out;
  for (const auto& w : j["witnesses"]) {
    if (!w.is_object() || !w.contains("url") || !w["url"].is_string() || !w.contains("key") || !w["key"].is_string())
      return shape;
    CL_ASSIGN(auto vkey, merkle::parse_cosigner_verifier_key(w["key"].get<std::string>()));
    std::string url = w["url"].get<std::string>();
    while (!url.empty() && url.back() == '/') url.pop_back();
    out.witnesses.push_back({url, vkey.first, std::move(vkey.second)});
  }
  if (j.contains("quorum")) {
    const auto& q = j["quorum"];
    const size_t n = out.witnesses.size();
    if (q.is_number_unsigned() && q.get<uint64_t>() >= 1 && q.get<uint64_t>() <= n) out.quorum = q.get<size_t>();
    else if (q == "all") out.quorum = n;
    else if (q == "any" && n > 0) out.quorum = 1;
    else return make_error(Errc::invalid_argument, path + ": quorum must be 1.." + std::to_string(n) + ", all or any");
  }
  if (j.contains("timeout_ms")) {
    if (!j["timeout_ms"].is_number_unsigned()) return shape;
    out.timeout = std::chrono::milliseconds(j["timeout_ms"].get<uint64_t>());
  }
  return out;
}

Result<std::optional<merkle::Policy>> WitnessesFile::policy() const {
  if (quorum == 0) return std::optional<merkle::Policy>();
  std::vector<merkle::PolicyWitness> ws;
  for (const auto& w : witnesses) ws.push_back({w.name, w.name, w.key, w.url});
  CL_ASSIGN(auto p, merkle::Policy::threshold({}, std::move(ws), quorum));
  return std::optional<merkle::Policy>(std::move(p));
}

Cosigner::Cosigner(store::EventStore& store, WitnessesFile witnesses, Poster post)
    : store_(store), file_(std::move(witnesses)), post_(std::move(post)) {
  // Every witness's entry exists before the first round: rounds ask the
  // witnesses from threads of their own, each touching only its entry.
  for (const auto& w : file_.witnesses) held_[w.url] = 0;
  std::weak_ptr<std::atomic<bool>> alive = alive_;
  store_.add_checkpoint_listener([this, alive](uint64_t size, const std::string& note) {
    auto a = alive.lock();
    if (!a || !*a) return;
    std::lock_guard lock(mu_);
    offered_ = {size, note};
    cv_.notify_one();
  });
  worker_ = std::thread([this] { run(); });
}

Cosigner::~Cosigner() {
  *alive_ = false;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Cosigner::Stats Cosigner::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Cosigner::settled(uint64_t size, const std::string& note) const {
  std::lock_guard lock(mu_);
  auto is = [&](const std::optional<std::pair<uint64_t, std::string>>& p) {
    return p && p->first == size && p->second == note;
  };
  return !is(offered_) && !is(asking_);
}

void Cosigner::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || offered_; });
    if (stopping_) return;
    asking_ = std::move(offered_);
    offered_.reset();
    const auto [size, note] = *asking_;
    lock.unlock();
    round(size, note);
    lock.lock();
    asking_.reset();
  }
}

// One witness: the checkpoint with a proof from the size it holds; a 409
// with its size is asked again once from there.
std::optional<std::string> Cosigner::ask(WitnessPeer& w, uint64_t size, const std::string& note) {
  uint64_t& held = held_[w.url];
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (held > size) held = 0;
    std::string body = "old " + std::to_string(held) + "\n";
    if (held > 0) {
      auto proof = merkle::consistency_proof(held, size, store_.node_source());
      if (!proof.ok()) return std::nullopt;
      for (const auto& h : *proof) body += base64_encode(hash_view(h)) + "\n";
    }
    body += "\n" + note;
    auto reply = post_(w.url + "/add-checkpoint", body, file_.timeout);
    if (!reply.ok()) return std::nullopt;
    if (reply->status == 409 && reply->content_type.rfind("text/x.tlog.size", 0) == 0) {
      auto known = parse_decimal(std::string_view(reply->body).substr(0, reply->body.find('\n')));
      if (!known) return std::nullopt;
      held = *known;
      continue;
    }
    if (reply->status != 200) return std::nullopt;
    // Keep only this witness's cosignature, and only if it verifies.
    std::string lines;
    for (std::string_view l : split_lines(reply->body)) {
      const std::string line = std::string(l) + "\n";
      auto t = merkle::verify_cosignature(note + line, w.name, w.key);
      if (t.ok() && t->has_value()) lines += line;
    }
    if (lines.empty()) return std::nullopt;
    held = size;
    return lines;
  }
  return std::nullopt;
}

void Cosigner::round(uint64_t size, const std::string& note) {
  // A note that already carries a witness's line is one this cosigner stored.
  for (const auto& w : file_.witnesses)
    if (note.find("\n\xe2\x80\x94 " + w.name + " ") != std::string::npos) return;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<std::optional<std::string>>> asked;
  for (auto& w : file_.witnesses)
    asked.push_back(std::async(std::launch::async, [this, &w, size, &note] { return ask(w, size, note); }));
  std::string cosigned = note;
  size_t got = 0, refused = 0;
  for (auto& f : asked) {
    auto lines = f.get();
    if (lines) {
      cosigned += *lines;
      ++got;
    } else {
      ++refused;
    }
  }
  // Stored only if the store still holds this note for the size (the
  // writer may have signed the size again meanwhile).
  if (got > 0 && store_.checkpoint_at(size) == note) (void)store_.put_checkpoint(size, cosigned);
  std::lock_guard lock(mu_);
  stats_.refused += refused;
  if (got > 0) ++stats_.cosigned;
  stats_.last_cosignatures = got;
  stats_.last_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ++stats_.rounds;
  stats_.total_ms += stats_.last_ms;
}

}  // namespace certledger::ops
