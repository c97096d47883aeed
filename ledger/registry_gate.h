// The registry's batch contributor: applies registry events (authorities,
// keys) inside the sequencer's batch, so a key retirement takes effect for
// the very next position and an event signed with a key that is not valid
// at its position is refused before it is written. Always the first
// contributor (Ledger::open installs it).
#pragma once

#include <memory>
#include <shared_mutex>

#include "ledger/registry.h"
#include "ledger/store/batch.h"

namespace certledger {

// `live` is the registry readers see, guarded by `mu`; the gate publishes a
// group's registry to it once the group is durable.
std::unique_ptr<store::BatchContributor> make_registry_gate(Registry& live, std::shared_mutex& mu);

}  // namespace certledger
