// Where the relay gets the messages of the <prefix>.keys topic
// (doc/kafka_topics.md): the holders' data keys, each wrapped for every
// consumer entitled to the holder's authority, and tombstones for erased
// holders. ledger/ defines this, ops/ implements it (with the vault and the
// entitlements) and hands one to the relay, as with StatusSource.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/domain/record.h"

namespace certledger {

class KeySource {
 public:
  struct Message {
    std::string key;                   // the holder reference
    std::optional<std::string> value;  // nullopt: a tombstone
  };
  virtual ~KeySource() = default;
  // The messages to produce before the record (called in position order,
  // again after a relay restart: consumers see each at least once).
  virtual std::vector<Message> messages(std::string_view record, const domain::RecordEnvelope& e) = 0;
};

}  // namespace certledger
