// The trust file a replica or an outside auditor starts from.
#include "ops/common/setup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)certledger::ops::parse_trust_document(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  return 0;
}
