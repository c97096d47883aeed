// Signed records as they arrive from Kafka, an export or the store: the JWS
// parse, the event parse and the envelope scanner, and the whole-record
// decode. (Signature checks of records against a real log are the follower
// harness's: here they would spend most of each run in OpenSSL.)
#include "ledger/crypto/jws.h"
#include "ledger/domain/event.h"
#include "ledger/ledger.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto parts = crypto::jws_parse(record);
  if (parts.ok()) {
    auto full = domain::parse_event(parts->payload);
    auto envelope = domain::parse_event_envelope(parts->payload);
    // The cheap envelope and the full parse agree on what both accept.
    if (full.ok() && envelope.ok() &&
        (full->type != envelope->type || full->stream != envelope->stream || full->seq != envelope->seq ||
         full->authority != envelope->authority || full->kind != envelope->kind || full->time != envelope->time))
      std::abort();
  }
  (void)domain::decode_record(1, std::string(record));
  (void)domain::decode_envelope(1, record);
  return 0;
}
