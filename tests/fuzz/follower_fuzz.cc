// Kafka messages as the replica's follower reads them: an events message's
// position header and record (checked by an Auditor that holds the real
// log's first records), a checkpoints message's note.
#include <fuzzer/FuzzedDataProvider.h>

#include "ledger/audit.h"
#include "ledger/stream/follower.h"
#include "tests/fuzz/world.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  static const auto key = merkle::parse_note_verifier_key(w.l.ledger->log_verifier_key());
  // An auditor that has verified the log up to its last position.
  static const Auditor base = [&] {
    Auditor a(key->second);
    (void)w.l.ledger->store().scan(1, 0,
                                   [&](uint64_t pos, std::string_view rec) { return a.add_record(pos, rec).ok(); });
    return a;
  }();
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    std::optional<std::string> header;
    if (in.ConsumeBool()) header = in.ConsumeRandomLengthString(24);
    auto pos = stream::read_event_position(header);
    const std::string record = in.ConsumeRemainingBytesAsString();
    Auditor a = base;
    domain::Record accepted;
    (void)a.add_record(pos.ok() ? *pos : base.last_position() + 1, record, &accepted);
  } else {
    (void)stream::read_checkpoint_message(in.ConsumeRemainingBytesAsString(), key->first, key->second);
  }
  return 0;
}
