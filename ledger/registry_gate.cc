#include "ledger/registry_gate.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

namespace certledger {

namespace {

// Applies registry events inside the writer's batch, so a key retirement
// takes effect for the very next position and an event signed with a key
// that is not valid at its position is refused before it is written.
// Groups are pipelined: the writer stages group N+1 on top of group N's
// registry (staged_) while N is being written; each group's result waits
// in pending_ until its end_batch, which publishes it to the live registry
// (on the committing thread, before the group is acknowledged).
class RegistryGate : public store::BatchContributor {
 public:
  RegistryGate(Registry& live, std::shared_mutex& mu) : live_(live), mu_(mu) {}
  std::string name() const override { return "registry"; }
  std::vector<std::string> column_families() const override { return {}; }
  void begin_batch() override {
    if (!started_ || reset_.exchange(false)) {  // first group, or after a group was not written
      std::shared_lock lock(mu_);
      staged_ = live_;
      started_ = true;
    }
    changed_ = false;
    std::lock_guard lock(pending_mu_);
    pending_.emplace_back();
  }
  Status apply(const domain::Record& e, store::BatchWriter&) override {
    event_changed_ = false;
    if (Registry::is_registry_event(e.event.type)) {
      if (e.event.type != "log.initialized")
        CL_TRY(staged_.signing_key(e.kid, e.position, e.event.authority, e.event.type));
      Registry next = staged_;
      CL_TRY(next.apply(e.event, e.position, e.kid));
      before_ = std::move(staged_);
      staged_ = std::move(next);
      changed_ = event_changed_ = true;
      return {};
    }
    auto k = staged_.signing_key(e.kid, e.position, e.event.authority, e.event.type);
    if (!k.ok()) return make_error(Errc::rule_violation, k.error().message);
    return {};
  }
  void event_rolled_back() override {
    if (event_changed_) staged_ = std::move(before_);
    event_changed_ = false;
  }
  void before_commit(store::BatchWriter&, uint64_t) override {
    if (!changed_) return;
    std::lock_guard lock(pending_mu_);
    pending_.back() = staged_;
  }
  void end_batch(bool committed) override {
    std::optional<Registry> done;
    {
      std::lock_guard lock(pending_mu_);
      done = std::move(pending_.front());
      pending_.pop_front();
    }
    if (!committed) {
      reset_ = true;  // the writer's staged_ may hold what was not written
      return;
    }
    if (!done) return;
    std::unique_lock lock(mu_);
    live_ = std::move(*done);
  }

 private:
  Registry& live_;
  std::shared_mutex& mu_;
  // Writer thread only.
  Registry staged_, before_;
  bool started_ = false, changed_ = false, event_changed_ = false;
  // Shared with the committing thread.
  std::atomic<bool> reset_{false};
  std::mutex pending_mu_;
  std::deque<std::optional<Registry>> pending_;  // one per group begun, not yet ended
};

}  // namespace

std::unique_ptr<store::BatchContributor> make_registry_gate(Registry& live, std::shared_mutex& mu) {
  return std::make_unique<RegistryGate>(live, mu);
}

}  // namespace certledger
