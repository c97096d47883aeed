// Sealed personal data as readers meet it (doc/event_format.md, "Personal
// data"; doc/kafka_topics.md, "<prefix>.keys"). The first byte picks:
//   0  a record's `personal` member: check_personal, then open_personal
//      under a fixed data key;
//   1  a plaintext sealed by the harness under that key (so the tag holds)
//      beside fuzzed commitments: open_personal's plaintext and commitment
//      checks;
//   2  a compact JWE: the dir header check and decryption, ECDH-ES and SM2
//      decryption under fixed keys;
//   3  a keys-topic message to this replica (name "fuzz"), a "$WRAP" in it
//      replaced by a real ECDH-ES wrap of a 32-byte key for the replica's
//      vault ("$WRAP16": a 16-byte key), so imports are reached;
//   4  a recipients file.
#include <fuzzer/FuzzedDataProvider.h>

#include "ledger/domain/privacy.h"
#include "ledger/util/encoding.h"
#include "ledger/util/json.h"
#include "ops/common/personal.h"
#include "tests/fuzz/world.h"

using namespace certledger;

namespace {

const std::string kKey(32, '\x5a');
const std::string kHolder = "AAAAAAAAAAAAAAAAAAAAAA";

void personal_member(std::string_view text) {
  auto j = parse_json(text, "fuzz");
  if (!j.ok()) return;
  (void)domain::check_personal(*j);
  (void)domain::open_personal(*j, kKey);
}

void sealed_plaintext(FuzzedDataProvider& in) {
  auto commitments = parse_json(in.ConsumeRandomLengthString(512), "fuzz");
  const std::string plain = in.ConsumeRemainingBytesAsString();
  auto jwe = crypto::jwe_encrypt(crypto::Aead::a256gcm, kKey, kHolder, domain::kPersonalCty, plain);
  if (!jwe.ok()) std::abort();  // a fixed key and kid always seal
  nlohmann::json member = {
      {"commitments", commitments.ok() ? *commitments : nlohmann::json::object()}, {"holder", kHolder}, {"jwe", *jwe}};
  auto opened = domain::open_personal(member, kKey);
  if (opened.ok() && !opened->is_object()) std::abort();
  if (!domain::open_sealed(*jwe, kKey).ok() && opened.ok()) std::abort();  // the member opened, so does its JWE
}

void compact(std::string_view text) {
  static const std::string x25519(32, '\x11');
  static const auto sm2 = crypto::PrivateKey::generate(crypto::KeyAlg::sm2);
  (void)crypto::jwe_header(text);
  (void)crypto::jwe_alg(text);
  (void)crypto::check_dir_jwe(text, kHolder, domain::kPersonalCty);
  (void)crypto::jwe_decrypt(kKey, text);
  (void)crypto::jwe_decrypt(kKey.substr(0, 16), text);
  (void)crypto::jwe_ecdh_es_decrypt(x25519, text);
  (void)crypto::jwe_sm2_decrypt(*sm2, text);
}

void keys_message(FuzzedDataProvider& in) {
  auto& w = fuzz::World::get();
  Ledger& ledger = *w.l.ledger;
  const std::string holder = in.ConsumeBool() ? kHolder : in.ConsumeRandomLengthString(30);
  if (in.ConsumeIntegralInRange(0, 15) == 0) {  // a tombstone, now and then
    (void)ops::receive_key(ledger, "fuzz", holder, std::nullopt);
    return;
  }
  std::string value = in.ConsumeRemainingBytesAsString();
  if (auto at = value.find("$WRAP"); at != std::string::npos) {
    // "$WRAP" a 32-byte key, "$WRAP16" a 16-byte one (SM4).
    const bool short_key = value.compare(at + 5, 2, "16") == 0;
    auto wrap =
        crypto::jwe_ecdh_es_encrypt(ledger.vault()->public_key(), "fuzz", std::string(short_key ? 16 : 32, '\x33'));
    if (!wrap.ok()) std::abort();
    value.replace(at, short_key ? 7 : 5, *wrap);
  }
  auto st = ops::receive_key(ledger, "fuzz", holder, value);
  if (st.ok()) {
    // Whatever was imported opens again as the size its enc names.
    if (auto k = ledger.vault()->key(holder); k.ok() && *k && (*k)->key.size() != crypto::aead_key_size((*k)->enc))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: personal_member(in.ConsumeRemainingBytesAsString()); break;
    case 1: sealed_plaintext(in); break;
    case 2: compact(in.ConsumeRemainingBytesAsString()); break;
    case 3: keys_message(in); break;
    default: (void)ops::parse_recipients(in.ConsumeRemainingBytesAsString(), "fuzz"); break;
  }
  return 0;
}
