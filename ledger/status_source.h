// Where the relay gets the messages of the <prefix>.status topic
// (doc/kafka_topics.md): ledger/ defines this, the projections implement it
// (projections/status_feed.h) and ops/ hands one to the relay, as with
// store::BatchContributor. The relay only carries the messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "ledger/domain/record.h"

namespace certledger {

class StatusSource {
 public:
  // The messages of one stretch of the log, asked for in position order.
  class Stretch {
   public:
    virtual ~Stretch() = default;
    // The status message of the event, or empty for none (not a
    // certificate event). Valid until the next call.
    virtual std::string_view message(const domain::RecordEnvelope& e) = 0;
  };
  virtual ~StatusSource() = default;
  // The stretch of positions [from, to]; called once `to` is durable.
  virtual std::unique_ptr<Stretch> read(uint64_t from, uint64_t to) const = 0;
};

}  // namespace certledger
