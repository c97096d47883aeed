// JSON command intake through the real service handler: issue and every
// certificate operation, test-report registration and withdrawal, with any
// token, Idempotency-Key and If-Match, and the rest of the input as the body.
#include <fuzzer/FuzzedDataProvider.h>

#include "tests/fuzz/world.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  FuzzedDataProvider in(data, size);
  static const char* const kRoles[] = {"approver", "reviewer", "clerk", "institution", "auditor", "admin", "other"};
  static const char* const kOps[] = {"amendments",     "reissues",     "renewals",   "reviews",   "suspensions",
                                     "reinstatements", "cancellation", "revocation", "withdrawal"};
  api::Request r;
  r.method = "POST";
  r.client = "fuzz";
  const int route = in.ConsumeIntegralInRange(0, 3);
  const std::string& cert = w.certificates[in.ConsumeIntegralInRange<size_t>(0, w.certificates.size() - 1)];
  if (route == 0) r.target = "/api/v1/certificates";
  else if (route == 1) r.target = "/api/v1/certificates/" + cert + "/" + kOps[in.ConsumeIntegralInRange(0, 8)];
  else if (route == 2) r.target = "/api/v1/reports";
  else r.target = "/api/v1/reports/" + in.ConsumeRandomLengthString(20) + "/withdrawal";
  r.headers["Authorization"] = "Bearer " + w.token.at(kRoles[in.ConsumeIntegralInRange(0, 6)]);
  if (in.ConsumeBool()) r.headers["Idempotency-Key"] = in.ConsumeRandomLengthString(256);
  if (in.ConsumeBool()) r.headers["If-Match"] = in.ConsumeRandomLengthString(16);
  r.body = in.ConsumeRemainingBytesAsString();
  fuzz::expect_no_internal_error(w.service->handle(r));
  return 0;
}
