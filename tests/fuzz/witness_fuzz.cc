// What a witness and a federation read from strangers: a tlog-witness
// add-checkpoint request (against a real witness of the fuzz world's log,
// its first checkpoint already held), a tlog-tiles path, and a C2SP
// tlog-policy. The first byte picks which. Nothing crashes; a witness
// answers only with the spec's codes, and a 200 carries a cosignature that
// verifies over a checkpoint of the log; a tile path that parses spells
// back the same; a policy that parses prints a text that parses to itself.
#include "ledger/merkle/cosignature.h"
#include "ledger/merkle/policy.h"
#include "ledger/merkle/tiles.h"
#include "ledger/witness.h"
#include "tests/fuzz/world.h"

using namespace certledger;

namespace {

struct WitnessWorld {
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<Witness> witness;
  std::string name = "fuzz.witness/w";
  crypto::PublicKey key;
};

WitnessWorld& witness() {
  static WitnessWorld* ww = [] {
    auto& w = fuzz::World::get();
    (void)w.l.ledger->sequencer()->checkpoint_now();
    auto vkey = merkle::parse_note_verifier_key(w.l.ledger->log_verifier_key());
    auto cp = w.l.ledger->store().latest_checkpoint();
    store::StoreOptions so;
    so.path = (w.dir / "witness").string();
    auto store = store::EventStore::open(so);
    auto key = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
    if (!vkey.ok() || !cp || !store.ok() || !key.ok()) std::abort();
    auto* out = new WitnessWorld{std::move(*store), nullptr, "fuzz.witness/w", key->public_key()};
    out->witness =
        std::make_unique<Witness>(*out->store, out->name, std::make_shared<const crypto::PrivateKey>(std::move(*key)),
                                  std::vector<WitnessedLog>{{vkey->first, vkey->second, {}, {}}});
    // It holds the log's checkpoint: requests meet a witness with state.
    if (out->witness->add_checkpoint("old 0\n\n" + cp->second).status != 200) std::abort();
    return out;
  }();
  return *ww;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      WitnessWorld& w = witness();
      auto a = w.witness->add_checkpoint(in);
      static const int kCodes[] = {200, 400, 403, 404, 409, 422, 503};
      if (std::find(std::begin(kCodes), std::end(kCodes), a.status) == std::end(kCodes)) std::abort();
      if (a.status == 200) {
        const std::string_view note = in.substr(in.find("\n\n") + 2);
        auto t = merkle::verify_cosignature(std::string(note) + a.body, w.name, w.key);
        if (!t.ok() || !t->has_value()) std::abort();
      }
      break;
    }
    case 1: {
      auto t = merkle::parse_tile_path(in);
      if (t && merkle::tile_path(*t) != in) std::abort();  // one spelling per tile
      break;
    }
    default: {
      auto p = merkle::Policy::parse(in);
      if (!p.ok()) break;
      auto again = merkle::Policy::parse(p->text());
      if (!again.ok() || again->text() != p->text() || again->describe() != p->describe()) std::abort();
      (void)p->check(in);
      break;
    }
  }
  return 0;
}
