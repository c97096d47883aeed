// Routes ops/ adds to the API (they need more than the api/ layer has).
#pragma once

#include "ops/common/config.h"
#include "api/service.h"
#include "ledger/ledger.h"

namespace certledger::ops {

// POST /api/v1/admin/backup {"to": NAME}: an online backup while serving,
// into a new directory NAME under config.backup_root (ops::backup_under).
// A backup holds every authority's keys and the token file: log-wide admins
// only; off while backup_root is unset.
api::RouteSpec backup_route(Ledger& ledger, const Config& config);

}  // namespace certledger::ops
