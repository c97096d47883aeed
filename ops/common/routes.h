// Routes ops/ adds to the API (they need more than the api/ layer has).
#pragma once

#include "ops/common/config.h"
#include "api/service.h"
#include "ledger/ledger.h"
#include "ledger/witness.h"
#include "ops/common/setup.h"

namespace certledger::ops {

// POST /api/v1/admin/backup {"to": NAME}: an online backup while serving,
// into a new directory NAME under config.backup_root (ops::backup_under).
// A backup holds every authority's keys and the token file: log-wide admins
// only; off while backup_root is unset.
api::RouteSpec backup_route(Ledger& ledger, const Config& config);

// The witness this ledgerd runs when config.witness_name is set: it
// witnesses the logs of config.witness_logs (a trust file), with its own
// Ed25519 key in keys/witness/cosigner.pem (made on first use), its state
// in the data dir's store. nullptr when off.
Result<std::unique_ptr<Witness>> open_witness(Ledger& ledger, const Config& config);
// A log a replica both follows and witnesses: checkpoints are also held
// against the root of the records it verified, and the checkpoint it
// stored of a size (Witness's local_root, local_checkpoint).
WitnessedLog replica_witnessed_log(const TrustedLog& log, const store::EventStore& store);
// POST /add-checkpoint (C2SP tlog-witness): anyone may submit; the log's
// signature on the checkpoint is the only credential.
api::RouteSpec witness_route(Witness& witness);

// /metrics families: the witness's split views and refused proofs; the
// ledger's log, sequencer and RocksDB figures.
void add_witness_metrics(api::Metrics& m, Witness& w);
void add_ledger_metrics(api::Metrics& m, Ledger& ledger);

}  // namespace certledger::ops
