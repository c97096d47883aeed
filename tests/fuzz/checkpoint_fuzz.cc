// Checkpoints (C2SP signed notes) and note verifier keys: parsed unsigned,
// opened with the log's key, and what opens re-serializes to its own body.
#include "ledger/merkle/checkpoint.h"
#include "tests/fuzz/world.h"

using namespace certledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  static const auto key = merkle::parse_note_verifier_key(w.l.ledger->log_verifier_key());
  const std::string_view note(reinterpret_cast<const char*>(data), size);
  auto body = merkle::parse_checkpoint_body(note);
  if (body.ok() && note.substr(0, note.find("\n\n") + 1) != merkle::checkpoint_body(*body)) std::abort();
  (void)merkle::open_checkpoint(note, key->first, key->second);
  (void)merkle::parse_note_verifier_key(note);
  return 0;
}
