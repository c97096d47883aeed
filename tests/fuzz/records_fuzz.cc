// Signed records as they arrive from Kafka, an export or the store: the JWS
// parse, the event parse and the envelope scanner, the signature check with
// the authority's key, and the whole-record decode.
#include "ledger/crypto/jws.h"
#include "ledger/domain/event.h"
#include "tests/fuzz/world.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  static const auto jwks = w.l.ledger->jwks();
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto parts = crypto::jws_parse(record);
  if (parts.ok()) {
    for (const auto& k : jwks["keys"])
      if (k.value("kid", "") == parts->kid)
        if (auto key = crypto::PublicKey::from_jwk(k); key.ok()) (void)crypto::jws_verify(*parts, *key);
    auto full = domain::parse_event(parts->payload);
    auto envelope = domain::parse_event_envelope(parts->payload);
    // The cheap envelope and the full parse agree on what both accept.
    if (full.ok() && envelope.ok() &&
        (full->type != envelope->type || full->stream != envelope->stream || full->seq != envelope->seq ||
         full->authority != envelope->authority || full->kind != envelope->kind || full->time != envelope->time))
      std::abort();
  }
  (void)decode_record(1, std::string(record));
  (void)decode_envelope(1, record);
  return 0;
}
