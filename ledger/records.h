// Reading the log's records back from the store in bulk (rebuild, audit,
// catch-up); one record is decoded by domain::decode_record.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/domain/record.h"
#include "ledger/util/result.h"

namespace certledger {

namespace store {
class EventStore;
}

// Hands the decoded records at positions [from, to] to fn, in order. The
// next chunk is read and decoded (JWS, event JSON, hash) on another thread
// while fn works through the current one. Stops at the first error (a
// record that does not decode: corruption, naming its position) or the first
// error fn returns.
Status for_each_record(const store::EventStore& store, uint64_t from, uint64_t to,
                       const std::function<Status(domain::Record&)>& fn);

}  // namespace certledger
