#include "projections/status_feed.h"

#include <vector>

#include "ledger/domain/lifecycle.h"
#include "ledger/util/encoding.h"
#include "projections/cert_view.h"
#include "projections/projections.h"
#include "projections/queries.h"

namespace certledger::projections {

namespace {

class FeedStretch : public StatusSource::Stretch {
 public:
  FeedStretch(const Ledger& ledger, std::vector<std::pair<uint64_t, std::string>> stored)
      : ledger_(ledger), stored_(std::move(stored)) {}

  std::string_view message(const domain::RecordEnvelope& e) override {
    while (next_ < stored_.size() && stored_[next_].first < e.position) ++next_;
    if (next_ < stored_.size() && stored_[next_].first == e.position) return stored_[next_].second;
    if (!domain::command_of_event_type(e.event.type)) return {};
    auto v = view_at_position(ledger_, e.event.stream, e.position);
    if (!v.ok()) return {};
    built_ = status_message(v->state, e.position, e.event.time);
    return built_;
  }

 private:
  const Ledger& ledger_;
  std::vector<std::pair<uint64_t, std::string>> stored_;
  size_t next_ = 0;
  std::string built_;
};

}  // namespace

std::unique_ptr<StatusSource::Stretch> StatusFeed::read(uint64_t from, uint64_t to) const {
  // Read after `to` was durable: a position's event and status are written
  // in one batch, so every event up to `to` has its status here.
  std::vector<std::pair<uint64_t, std::string>> stored;
  (void)ledger_.store().scan_range(kCfStatusFeed, be64(from), be64(to + 1),
                                   [&](std::string_view k, std::string_view v) {
                                     if (k.size() == 8) stored.emplace_back(get_be64(k), v);
                                     return true;
                                   });
  return std::make_unique<FeedStretch>(ledger_, std::move(stored));
}

}  // namespace certledger::projections
