// The status feed as the relay reads it: the certificates projection writes
// each certificate event's public status message into p_status (keyed by
// position, in the event's own batch); StatusFeed hands them to the relay in
// log order. For older data dirs without the feed at some positions
// (`ledgerctl rebuild` fills them in), the message is built by folding the
// certificate up to that event.
#pragma once

#include "ledger/ledger.h"
#include "ledger/status_source.h"

namespace certledger::projections {

class StatusFeed : public StatusSource {
 public:
  explicit StatusFeed(const Ledger& ledger) : ledger_(ledger) {}
  std::unique_ptr<Stretch> read(uint64_t from, uint64_t to) const override;

 private:
  const Ledger& ledger_;
};

}  // namespace certledger::projections
