// The write path's settings that travel from ledgerd's configuration down
// to the sequencer, defined once here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace certledger::store {

// The checkpoint origin of a new log unless configured (ledgerd --origin).
inline constexpr const char* kDefaultOrigin = "certledger.local/log";

// How the writer groups and checkpoints. Its defaults are the only ones:
// LedgerOptions, ops::OpenOptions and ledgerd's configuration carry one.
struct WritePolicy {
  size_t max_batch = 1024;  // appends per group commit at most
  // Checkpoint every N events or T ms (whichever first) while there is news.
  uint64_t checkpoint_every = 1000;
  int checkpoint_interval_ms = 1000;
  // With no news, the latest size signed again with a new time at least
  // this often, so that a reader can tell the log still stands behind it
  // (the "time" line; proofs older than a bound are not fresh). 0: never.
  int checkpoint_max_interval_ms = 10000;
};

}  // namespace certledger::store
