// Helpers the handlers of api/ share (service.cc, certificates.cc,
// public.cc, log.cc, reports.cc). Not for other modules.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "ledger/domain/certificate.h"
#include "ledger/util/result.h"

namespace certledger::api::handlers {

// What `answer` returns, or a 500 problem when it throws; either way timed
// (seconds) for the metrics.
Response answer_guarded(const std::function<Response()>& answer, double& seconds);
// 404 as a problem document.
Response not_found_json(std::string detail);
void no_store(Response& r);
// 400 for malformed input (Detail::malformed, or a whole-body problem),
// else the error's usual problem document.
Response error_response(const Error& e);
// An error about the body as a whole names "body" as its field.
Error bad_body(const Error& e);
// The optional (or required) string member `name` of a JSON object.
Result<std::string> string_member(const nlohmann::json& j, const char* name, bool required);
// The client-supplied approval trail of a command body ("approval").
Result<std::vector<domain::ApprovalStep>> approval_trail(const nlohmann::json& j);

}  // namespace certledger::api::handlers
