// Statement proofs (doc/proof_format.md, state_map_format.md): the binary
// map proof, a bundle's unsigned lines in front of a genuine checkpoint of
// the fuzz world's log (so the map, record and inclusion checks run with
// the real key), and stored bucket entries. The first byte picks which.
// Whatever decodes re-encodes to its input; nothing crashes; and a bundle
// that passes says the status of a statement it holds, or unknown.
#include "ledger/merkle/state_map.h"
#include "projections/proof_bundle.h"
#include "tests/fuzz/world.h"

using namespace certledger;

namespace {

struct Genuine {
  std::string origin;
  crypto::PublicKey key;
  std::string checkpoint;  // the note after the bundle's blank line
};

const Genuine& genuine() {
  static const Genuine g = [] {
    auto& w = fuzz::World::get();
    (void)w.l.ledger->sequencer()->checkpoint_now();
    auto vkey = merkle::parse_note_verifier_key(w.l.ledger->log_verifier_key());
    auto bundle = projections::build_statement_bundle(w.l.ledger->store(), w.qr_tokens[0]);
    if (!vkey.ok() || !bundle.ok()) std::abort();
    return Genuine{vkey->first, vkey->second, bundle->substr(bundle->find("\n\n") + 2)};
  }();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto p = merkle::MapProof::decode(in);
      if (!p.ok()) break;
      if (p->encode() != in) std::abort();  // one encoding per proof
      Hash256 key{}, root{};
      if (in.size() >= 32) std::copy(in.end() - 32, in.end(), key.begin());
      (void)merkle::map_verify(root, key, std::nullopt, *p);
      (void)merkle::map_verify(root, key, key, *p);
      break;
    }
    case 1: {
      const Genuine& g = genuine();
      std::string bundle(in);
      bundle += "\n\n";
      bundle += g.checkpoint;
      auto c = projections::verify_statement_bundle(bundle, g.origin, g.key, system_now_ms());
      if (c.ok() && c->statement.has_value() == (c->status == "unknown")) std::abort();
      break;
    }
    default: {
      if (in.size() < 2) break;
      merkle::BucketMap m;
      const uint32_t bucket = (uint32_t(uint8_t(in[0])) << 8) | uint8_t(in[1]);
      if (m.load_bucket(bucket, in.substr(2)).ok()) m.finish_load();
      break;
    }
  }
  return 0;
}
