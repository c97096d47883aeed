// Personal data sealed in the log (event format 2): the crypto under it,
// the sealing rules, the vault, and erasure with every proof unchanged.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ledger/audit.h"
#include "ledger/crypto/jwe.h"
#include "ledger/domain/privacy.h"
#include "ledger/store/keys.h"
#include "ledger/util/encoding.h"
#include "ledger/util/random.h"
#include "projections/projections.h"
#include "projections/queries.h"
#include "projections/state_map.h"
#include "tests/unit/ledger_helpers.h"

namespace certledger {
namespace {

using namespace certledger::testing;
using nlohmann::json;

std::string unhex(std::string_view h) { return *hex_decode(h); }

// ---- crypto ----

TEST(Seal, GcmComposedOverAesIsOpenSslsAesGcm) {
  // The composition SM4-GCM uses, run over AES-256, must give OpenSSL's
  // own AES-256-GCM bytes: that checks the counter and GHASH code.
  for (size_t len : {0, 1, 15, 16, 17, 64, 100, 1000}) {
    const std::string key = random_bytes(32), iv = random_bytes(12), aad = random_bytes(len % 23);
    const std::string pt = random_bytes(len);
    auto ref = crypto::aead_seal(crypto::Aead::a256gcm, key, iv, aad, pt);
    ASSERT_TRUE(ref.ok());
    std::string tag;
    auto ct = crypto::gcm_compose("AES-256-ECB", key, iv, aad, pt, true, &tag);
    ASSERT_TRUE(ct.ok()) << ct.error().message;
    EXPECT_EQ(*ct + tag, *ref) << "length " << len;
  }
}

TEST(Seal, Sm4GcmRoundTripsAndRefusesAlteredBytes) {
  const std::string key = random_bytes(16), iv = random_bytes(12);
  auto sealed = crypto::aead_seal(crypto::Aead::sm4gcm, key, iv, "aad", "张三 440106199001011234");
  ASSERT_TRUE(sealed.ok());
  auto open = crypto::aead_open(crypto::Aead::sm4gcm, key, iv, "aad", *sealed);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open, "张三 440106199001011234");
  std::string bad = *sealed;
  bad[3] ^= 1;
  EXPECT_EQ(crypto::aead_open(crypto::Aead::sm4gcm, key, iv, "aad", bad).error().code, Errc::corruption);
  EXPECT_FALSE(crypto::aead_open(crypto::Aead::sm4gcm, key, iv, "aae", *sealed).ok());
  EXPECT_FALSE(crypto::aead_seal(crypto::Aead::sm4gcm, random_bytes(32), iv, "", "x").ok());  // wrong key size
}

TEST(Seal, HmacIsOpenSslsHmac) {
  for (size_t klen : {0, 16, 32, 64, 65, 200})
    for (size_t mlen : {0, 1, 63, 64, 1000}) {
      const std::string key = random_bytes(klen), msg = random_bytes(mlen);
      unsigned char ref[32];
      unsigned int n = 32;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
           msg.size(), ref, &n);
      EXPECT_EQ(crypto::hmac_sha256(key, msg), std::string(reinterpret_cast<char*>(ref), 32)) << klen << "/" << mlen;
    }
}

TEST(Seal, KeyWrapAndHkdfMatchTheirRfcVectors) {
  // RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK.
  const std::string kek = unhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  const std::string key = unhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
  auto w = crypto::key_wrap(kek, key);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(hex_encode(*w), "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21");
  EXPECT_EQ(*crypto::key_unwrap(kek, *w), key);
  std::string other = kek;
  other[0] ^= 1;
  EXPECT_EQ(crypto::key_unwrap(other, *w).error().code, Errc::corruption);
  std::string altered = *w;
  altered[20] ^= 1;
  EXPECT_EQ(crypto::key_unwrap(kek, altered).error().code, Errc::corruption);
  // The same as OpenSSL's AES-256-WRAP for every size the vault uses and more.
  for (size_t n : {16, 24, 32, 40, 64}) {
    const std::string k = random_bytes(32), data = random_bytes(n);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    std::string ref(n + 8, '\0');
    int len = 0, fin = 0;
    auto* out = reinterpret_cast<unsigned char*>(ref.data());
    ASSERT_EQ(EVP_EncryptInit_ex2(ctx, EVP_aes_256_wrap(), reinterpret_cast<const unsigned char*>(k.data()), nullptr,
                                  nullptr),
              1);
    ASSERT_EQ(
        EVP_EncryptUpdate(ctx, out, &len, reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(n)), 1);
    ASSERT_EQ(EVP_EncryptFinal_ex(ctx, out + len, &fin), 1);
    EVP_CIPHER_CTX_free(ctx);
    EXPECT_EQ(*crypto::key_wrap(k, data), ref) << n;
    EXPECT_EQ(*crypto::key_unwrap(k, ref), data) << n;
  }
  // RFC 5869 A.1.
  EXPECT_EQ(hex_encode(crypto::hkdf_sha256(std::string(22, '\x0b'), unhex("000102030405060708090a0b0c"),
                                           unhex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Seal, JweDirRoundTripsAndBindsItsHeader) {
  const std::string key = random_bytes(32);
  auto jwe = crypto::jwe_encrypt(crypto::Aead::a256gcm, key, "holder-1", "certledger-personal+json", "{\"a\":1}");
  ASSERT_TRUE(jwe.ok());
  auto h = crypto::jwe_header(*jwe);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->kid, "holder-1");
  EXPECT_EQ(h->enc, crypto::Aead::a256gcm);
  EXPECT_EQ(*crypto::jwe_decrypt(key, *jwe), "{\"a\":1}");
  EXPECT_FALSE(crypto::jwe_decrypt(random_bytes(32), *jwe).ok());
  // Another kid in the header (the AAD) no longer authenticates.
  auto dot = jwe->find('.');
  json other = json::parse(*base64url_decode(jwe->substr(0, dot)));
  other["kid"] = "holder-2";
  EXPECT_FALSE(crypto::jwe_decrypt(key, base64url_encode(other.dump()) + jwe->substr(dot)).ok());
  EXPECT_FALSE(crypto::jwe_header("a.b.c").ok());
  auto sm4 = crypto::jwe_encrypt(crypto::Aead::sm4gcm, key.substr(0, 16), "h", "c", "国密");
  ASSERT_TRUE(sm4.ok());
  EXPECT_EQ(*crypto::jwe_decrypt(key.substr(0, 16), *sm4), "国密");
}

TEST(Seal, EcdhEsWrapsADataKeyForOneX25519KeyOnly) {
  TempDir d;
  auto me = crypto::read_or_create_node_secret((d.path() / "me.pem").string(), "");
  auto other = crypto::read_or_create_node_secret((d.path() / "other.pem").string(), "");
  ASSERT_TRUE(me.ok() && other.ok());
  const std::string data_key = random_bytes(32);
  auto jwe = crypto::jwe_ecdh_es_encrypt(me->public_raw, "js-archive", data_key);
  ASSERT_TRUE(jwe.ok()) << jwe.error().message;
  auto header = json::parse(*base64url_decode(jwe->substr(0, jwe->find('.'))));
  EXPECT_EQ(header["alg"], "ECDH-ES");
  EXPECT_EQ(header["epk"]["crv"], "X25519");
  EXPECT_EQ(header["kid"], "js-archive");
  EXPECT_EQ(*crypto::jwe_ecdh_es_decrypt(me->private_raw, *jwe), data_key);
  EXPECT_FALSE(crypto::jwe_ecdh_es_decrypt(other->private_raw, *jwe).ok());
  // Each wrap has its own ephemeral key.
  EXPECT_NE(*crypto::jwe_ecdh_es_encrypt(me->public_raw, "js-archive", data_key), *jwe);
  EXPECT_FALSE(crypto::jwe_ecdh_es_encrypt(std::string(31, 'x'), "k", data_key).ok());
}

TEST(Seal, Sm2WrapsADataKeyForOneSm2KeyOnly) {
  auto me = crypto::PrivateKey::generate(crypto::KeyAlg::sm2);
  auto other = crypto::PrivateKey::generate(crypto::KeyAlg::sm2);
  ASSERT_TRUE(me.ok() && other.ok());
  const std::string data_key = random_bytes(16);
  auto jwe = crypto::jwe_sm2_encrypt(me->public_key(), "national", data_key);
  ASSERT_TRUE(jwe.ok()) << jwe.error().message;
  EXPECT_EQ(*crypto::jwe_alg(*jwe), "SM2");
  EXPECT_EQ(*crypto::jwe_sm2_decrypt(*me, *jwe), data_key);
  EXPECT_FALSE(crypto::jwe_sm2_decrypt(*other, *jwe).ok());
  std::string bad = *jwe;
  bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';  // the tag
  EXPECT_FALSE(crypto::jwe_sm2_decrypt(*me, bad).ok());
  auto ed = crypto::PrivateKey::generate(crypto::KeyAlg::ed25519);
  EXPECT_FALSE(crypto::jwe_sm2_encrypt(ed->public_key(), "x", data_key).ok());
}

TEST(Seal, TheNodeSecretIsAnOwnerOnlyFileUnderThePassphrase) {
  TempDir d;
  const std::string path = (d.path() / "node.pem").string();
  auto a = crypto::read_or_create_node_secret(path, "pass phrase");
  ASSERT_TRUE(a.ok()) << a.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = crypto::read_or_create_node_secret(path, "pass phrase");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->private_raw, b->private_raw);
  EXPECT_FALSE(crypto::read_or_create_node_secret(path, "wrong").ok());
  EXPECT_FALSE(crypto::read_or_create_node_secret(path, "").ok());
}

// ---- sealing rules ----

// Seed 004's 特种作业 certificate has no 性别 on its face: name, ID
// number, post and photo are sealed.
json person_fields() {
  return {{"name", "欧阳小明"},          {"id_number", "11010519491231002X"},         {"post", "建筑电工"},
          {"number", "苏A012008000001"}, {"photo", "sha256:" + std::string(64, 'a')}, {"issue_date", "2026-01-05"}};
}

TEST(Seal, APersonKindKeepsOnlyPublicFormsBesideTheSealedValues) {
  const auto* kind = domain::find_kind("special_operation");
  ASSERT_NE(kind, nullptr);
  ASSERT_TRUE(domain::seals_personal(*kind));
  EXPECT_FALSE(domain::seals_personal(*domain::find_kind("testing_institution")));
  json fields = person_fields();
  const std::string key = random_bytes(32), holder = base64url_encode(random_bytes(16));
  auto personal = domain::seal_personal(*kind, fields, {holder, crypto::Aead::a256gcm, key});
  ASSERT_TRUE(personal.ok()) << personal.error().message;
  EXPECT_EQ(fields["name"], "欧**明");
  EXPECT_EQ(fields["id_number"], "110105********002X");
  EXPECT_FALSE(fields.contains("photo"));
  EXPECT_EQ(fields["number"], "苏A012008000001");
  const std::string text = fields.dump() + personal->dump();
  EXPECT_EQ(text.find("欧阳小明"), std::string::npos);
  EXPECT_EQ(text.find("11010519491231002X"), std::string::npos);
  EXPECT_TRUE(domain::check_personal(*personal).ok());
  EXPECT_EQ((*personal)["commitments"].size(), 4u);  // name, id_number, post, photo

  auto opened = domain::open_personal(*personal, key);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ((*opened)["name"], "欧阳小明");
  EXPECT_EQ((*opened)["id_number"], "11010519491231002X");
  EXPECT_EQ(opened->size(), 4u);
  // The holder proves a value with the salt from the sealed data.
  auto plain = json::parse(*crypto::jwe_decrypt(key, (*personal)["jwe"].get<std::string>()));
  const std::string salt = *base64url_decode(plain["salt"].get<std::string>());
  EXPECT_TRUE(domain::commitment_matches(*personal, "id_number", "11010519491231002X", salt));
  EXPECT_FALSE(domain::commitment_matches(*personal, "id_number", "110105194912310038", salt));
  EXPECT_FALSE(domain::commitment_matches(*personal, "id_number", "11010519491231002X", random_bytes(16)));
  // Masking is idempotent: the public forms are their own public forms.
  for (const auto& spec : kind->fields) {
    if (fields.contains(std::string(spec.name))) {
      EXPECT_EQ(*domain::public_value(*kind, spec, fields[std::string(spec.name)]), fields[std::string(spec.name)]);
    }
  }

  EXPECT_FALSE(domain::open_personal(*personal, random_bytes(32)).ok());
  json swapped = *personal;
  swapped["commitments"]["name"] = swapped["commitments"]["post"];
  EXPECT_EQ(domain::open_personal(swapped, key).error().code, Errc::corruption);
  json other_holder = *personal;
  other_holder["holder"] = base64url_encode(random_bytes(16));
  EXPECT_FALSE(domain::check_personal(other_holder).ok());

  // Nothing personal in an object: no member.
  json public_only = {{"number", "x"}};
  auto none = domain::seal_personal(*kind, public_only, {holder, crypto::Aead::a256gcm, key});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->is_null());

  domain::erase_personal(*kind, fields);
  EXPECT_EQ(fields["name"], domain::kErased);
  EXPECT_EQ(fields["id_number"], domain::kErased);
  EXPECT_EQ(fields["number"], "苏A012008000001");
  EXPECT_EQ(*domain::public_value(*kind, *kind->field("name"), fields["name"]), domain::kErased);
}

// ---- the ledger ----

struct Fixture {
  TempDir dir;
  std::vector<std::unique_ptr<projections::Projection>> projections = projections::standard_projections();
  std::unique_ptr<Ledger> ledger;
  demo::SampleGenerator gen{31};

  Fixture() { open(true); }
  void open(bool first) {
    LedgerOptions o = test_options(dir.str());
    o.contributors = projections::as_contributors(projections);
    o.checkpoint_extensions = projections::checkpoint_extensions;
    o.before_start = [this](store::EventStore& s) {
      std::vector<projections::Projection*> ptrs;
      for (auto& p : projections) ptrs.push_back(p.get());
      return projections::catch_up(s, ptrs, {});
    };
    ledger = open_ledger(dir.str(), o);
    if (first) register_demo_authorities(*ledger);
  }
  projections::Reader reader() const { return projections::Reader(ledger->store()); }
  domain::AuthorityInfo authority(size_t i = 0) const { return demo::demo_authorities()[i]; }
  Result<Outcome> issue(const std::string& kind, json fields_override = json::object(), size_t a = 0) {
    auto c = issue_command(gen, kind, authority(a));
    for (auto it = fields_override.begin(); it != fields_override.end(); ++it) c.fields[it.key()] = it.value();
    return ledger->execute(authority(a).code, c);
  }
  Result<Outcome> run(domain::CommandType t, const std::string& id) {
    domain::CommandInput c;
    c.type = t;
    c.certificate_id = id;
    c.reason = "依法处理";
    c.actor = approver();
    return ledger->execute(authority().code, c);
  }
  Result<Outcome> erase(const std::string& holder, std::string in_force_reason = {}) {
    ErasureRequest r{holder, "《个人信息保护法》第四十七条第一款第一项", "处理目的已实现", std::move(in_force_reason),
                     "li.si"};
    return ledger->erase_holder(authority().code, r, [&](const std::string& h) -> Result<std::vector<std::string>> {
      return reader().by_holder(projections::sealed_holder(h), "", authority().code);
    });
  }
  Status audit() {
    auto summary = audit_store(ledger->store(), {});
    if (!summary.ok()) return summary.error();
    auto roots = projections::audit_state_map(ledger->store());
    if (!roots.ok()) return roots.error();
    return {};
  }
};

const std::string kId = "11010519491231002X";
const std::string kName = "欧阳小明";

TEST(Sealing, ARecordOfAPersonHoldsNoPlaintextAndStaffReadItOpened) {
  Fixture f;
  auto r = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const std::string payload = *base64url_decode(json::parse(r->record.bytes)["payload"].get<std::string>());
  EXPECT_EQ(payload.find(kId), std::string::npos);
  EXPECT_EQ(payload.find(kName), std::string::npos);
  EXPECT_EQ(r->record.event.v, 2);
  EXPECT_TRUE(r->record.event.data.contains("personal"));
  EXPECT_FALSE(r->record.event.data["fields"].contains("photo"));

  auto view = f.reader().certificate(r->state.id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state.fields["id_number"], "110105********002X");
  EXPECT_FALSE(view->state.holder.empty());
  // Staff: opened through the vault; every version's fields too.
  auto opened = projections::opened_view(*view, f.ledger->vault());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->state.fields["id_number"], kId);
  EXPECT_EQ(opened->state.fields["name"], kName);
  EXPECT_EQ(json::parse(opened->versions[0].fields_json)["id_number"], kId);
  // Without the vault (a replica without the key) the public forms stay.
  EXPECT_EQ(projections::opened_view(*view, nullptr)->state.fields["id_number"], "110105********002X");
  // Organisations are not sealed.
  auto org = f.issue("testing_institution");
  ASSERT_TRUE(org.ok());
  EXPECT_FALSE(org->record.event.data.contains("personal"));

  // The keyed index: the vault finds the holder by ID number within its
  // authority; the holder index holds only the reference.
  auto ref = f.ledger->vault()->find(f.authority().code, kId);
  ASSERT_TRUE(ref.ok() && *ref);
  EXPECT_EQ(**ref, view->state.holder);
  EXPECT_FALSE(*f.ledger->vault()->find(f.authority(1).code, kId));
  EXPECT_EQ(f.reader().by_holder(projections::sealed_holder(**ref)), std::vector<std::string>{r->state.id});
  EXPECT_TRUE(f.reader().by_holder(kId).empty());

  // A second certificate of the same person has the same holder.
  auto second = f.issue("safety_manager_b", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->record.event.data["personal"]["holder"], view->state.holder);
  EXPECT_TRUE(f.audit().ok());
}

// Submitters racing on one new person: every certificate names one holder,
// whichever submitter made the key first (pending or already stored).
TEST(Sealing, ConcurrentFirstCertificatesOfOnePersonShareOneHolder) {
  Fixture f;
  const char* kinds[] = {"special_operation", "safety_manager_b", "safety_manager_a", "staff_training"};
  for (int round = 0; round < 3; ++round) {
    const std::string id = issue_command(f.gen, "special_operation", f.authority()).fields["id_number"];
    std::vector<std::string> holders(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        demo::SampleGenerator gen(100 + round * 10 + t);
        auto c = issue_command(gen, kinds[t % 4], f.authority());
        c.fields["id_number"] = id;
        c.fields["name"] = kName;
        auto r = f.ledger->execute(f.authority().code, c);
        if (r.ok()) holders[t] = r->record.event.data["personal"]["holder"].get<std::string>();
        else holders[t] = r.error().to_string();
      });
    for (auto& t : threads) t.join();
    for (const auto& h : holders) EXPECT_EQ(h, holders[0]) << "round " << round;
    EXPECT_FALSE(holders[0].empty());
    EXPECT_EQ(**f.ledger->vault()->find(f.authority().code, id), holders[0]);
  }
  EXPECT_TRUE(f.audit().ok());
}

// An idempotent request's stored hash covers its fields, a person's
// 身份证号 among them: it is keyed by the node's vault, so the idempotency
// family cannot be searched by hashing guessed ID numbers. The key is
// stable (a replay after a restart is recognised) and the node's own.
TEST(Sealing, IdempotentRequestsOfPersonsAreRememberedByAKeyedHash) {
  Fixture f, other;
  const std::string text = "{\"fields\":{\"id_number\":\"11010519491231002X\"}}";
  const Hash256 keyed = f.ledger->vault()->keyed_digest(text);
  EXPECT_NE(keyed, sha256(text));
  EXPECT_NE(keyed, other.ledger->vault()->keyed_digest(text));
  auto c = issue_command(f.gen, "special_operation", f.authority());
  ExecOptions o;
  o.idempotency_key = "person-0001";
  auto first = f.ledger->execute(f.authority().code, c, o);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto stored = f.ledger->store().idempotency(f.authority().code, o.idempotency_key);
  ASSERT_TRUE(stored);
  f.ledger.reset();
  f.open(false);
  EXPECT_EQ(f.ledger->vault()->keyed_digest(text), keyed);
  auto again = f.ledger->execute(f.authority().code, c, o);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->record.position, first->record.position);
  c.fields["id_number"] = issue_command(f.gen, "special_operation", f.authority()).fields["id_number"];
  auto changed = f.ledger->execute(f.authority().code, c, o);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().detail, Detail::idempotency_key_reused);
}

TEST(Sealing, AnAuthorityThatSignsWithSm2SealsWithSm4Gcm) {
  Fixture f;  // the demo's second authority signs with SM2
  auto r = f.issue("special_operation", {{"name", kName}, {"id_number", kId}}, 1);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const std::string jwe = r->record.event.data["personal"]["jwe"];
  auto header = crypto::jwe_header(jwe);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->enc, crypto::Aead::sm4gcm);
  auto key = *f.ledger->vault()->key(header->kid);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->key.size(), 16u);
  auto opened = projections::opened_view(*f.reader().certificate(r->state.id), f.ledger->vault());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->state.fields["id_number"], kId);
  // The same person at the other authority is another holder with another key.
  auto gd = f.issue("special_operation", {{"name", kName}, {"id_number", kId}}, 0);
  ASSERT_TRUE(gd.ok());
  EXPECT_NE(gd->record.event.data["personal"]["holder"], r->record.event.data["personal"]["holder"]);
  EXPECT_EQ(crypto::jwe_header(gd->record.event.data["personal"]["jwe"].get<std::string>())->enc,
            crypto::Aead::a256gcm);
}

TEST(Sealing, AVaultOpensKeysSentToItsX25519OrItsSm2Key) {
  Fixture f;
  const auto* vault = f.ledger->vault();
  const std::string data_key = random_bytes(32);
  auto x = crypto::jwe_ecdh_es_encrypt(vault->public_key(), "me", data_key);
  EXPECT_EQ(*vault->open_received(*x), data_key);
  // An SM2 wrap needs the node's SM2 key: refused until it has one.
  auto sm2 = crypto::PrivateKey::generate(crypto::KeyAlg::sm2);
  auto wrapped = crypto::jwe_sm2_encrypt(sm2->public_key(), "me", data_key);
  EXPECT_FALSE(vault->open_received(*wrapped).ok());
  const std::string path = LocalVault::node_sm2_path((f.dir.path() / "keys").string());
  ASSERT_TRUE(sm2->save(path, "").ok());
  f.ledger.reset();
  f.open(false);
  EXPECT_EQ(*f.ledger->vault()->open_received(*wrapped), data_key);
}

TEST(Sealing, AmendingAPersonalFieldSealsTheNewValue) {
  Fixture f;
  auto r = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  domain::CommandInput c;
  c.type = domain::CommandType::amend;
  c.certificate_id = r->state.id;
  c.reason = "info_corrected";
  c.changes = {{"name", "欧阳晓明"}};
  c.actor = approver();
  auto a = f.ledger->execute(f.authority().code, c);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->record.bytes.find("欧阳晓明"), std::string::npos);
  // The same value again is refused: the decision saw the opened value.
  auto again = f.ledger->execute(f.authority().code, c);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::invalid_argument);
  auto view = f.reader().certificate(r->state.id);
  auto opened = projections::opened_view(*view, f.ledger->vault());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->state.fields["name"], "欧阳晓明");
  EXPECT_EQ(json::parse(opened->versions[0].fields_json)["name"], kName);  // version 1 as it was
  EXPECT_EQ(json::parse(opened->versions[1].fields_json)["name"], "欧阳晓明");
}

TEST(Sealing, ErasureKeepsEveryRecordAndProofAndShowsTheFieldsErased) {
  Fixture f;
  auto one = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  auto two = f.issue("safety_manager_b", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  const std::string holder = one->record.event.data["personal"]["holder"];
  const std::string photo =
      projections::opened_view(*f.reader().certificate(one->state.id), f.ledger->vault())->state.fields["photo"];
  ASSERT_TRUE(f.ledger->blob(photo).has_value());
  const uint64_t size_before = f.ledger->store().last_position();
  const auto note_before = f.ledger->store().checkpoint_at(size_before);
  ASSERT_TRUE(note_before);
  const std::string record_before = *f.ledger->store().record_at(one->record.position);

  // Both are in force: refused without a reason for erasing anyway.
  auto refused = f.erase(holder);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::rule_violation);
  EXPECT_NE(refused.error().message.find(one->state.id), std::string::npos);
  ASSERT_TRUE(f.run(domain::CommandType::cancel, one->state.id).ok());
  ASSERT_FALSE(f.erase(holder).ok());  // the second is still in force
  auto erased = f.erase(holder, "持证人已死亡，证书同步注销中");
  ASSERT_TRUE(erased.ok()) << erased.error().to_string();
  EXPECT_EQ(erased->record.event.type, "holder.erased");
  EXPECT_EQ(erased->record.event.data["certificates"].size(), 2u);
  EXPECT_EQ(erased->record.event.data["in_force"], json::array({two->state.id}));

  // The holder's photo went with the key: this authority's claim on it
  // (the demo's other authorities uploaded the same sample picture and
  // keep theirs; the picture goes with its last owner, tested below).
  EXPECT_FALSE(f.ledger->blob_owned_by(f.authority().code, photo));
  EXPECT_TRUE(f.ledger->blob_owned_by(f.authority(1).code, photo));
  ASSERT_TRUE(f.ledger->store().erase_blob(photo, f.authority(1).code).ok());
  ASSERT_TRUE(f.ledger->store().erase_blob(photo, f.authority(2).code).ok());
  ASSERT_TRUE(f.ledger->store().erase_blob(photo, f.authority(3).code).ok());
  EXPECT_FALSE(f.ledger->store().blob(photo).has_value());
  ASSERT_TRUE(f.ledger->put_blob(f.authority().code, demo::SampleGenerator::sample_photo_png(0)).ok());
  // The key is gone; the records are unchanged, the log audits clean and
  // the map root of the earlier size is the same.
  EXPECT_FALSE(*f.ledger->vault()->key(holder));
  EXPECT_FALSE(*f.ledger->vault()->find(f.authority().code, kId));
  EXPECT_EQ(*f.ledger->store().record_at(one->record.position), record_before);
  EXPECT_EQ(f.ledger->store().checkpoint_at(size_before), note_before);
  // The audit recomputes every checkpoint's map root, the one before the
  // erasure and the one after.
  ASSERT_TRUE(f.ledger->sequencer()->checkpoint_now().ok());
  auto st = f.audit();
  EXPECT_TRUE(st.ok()) << st.error().message;
  // Every projection: the personal fields read erased, for staff as well.
  for (const auto& id : {one->state.id, two->state.id}) {
    auto v = f.reader().certificate(id);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->state.erased);
    EXPECT_EQ(v->state.fields["name"], domain::kErased);
    EXPECT_EQ(json::parse(v->versions[0].fields_json)["id_number"], domain::kErased);
    EXPECT_EQ(projections::opened_view(*v, f.ledger->vault())->state.fields["name"], domain::kErased);
    EXPECT_NE(projections::public_statement(*v, v->state.doc_version).find("已依法删除"), std::string::npos);
  }
  // Once only; an unknown holder is not found.
  EXPECT_EQ(f.erase(holder, "x").error().code, Errc::not_found);
  EXPECT_EQ(f.erase(base64url_encode(random_bytes(16)), "x").error().code, Errc::not_found);
  // The same person issued again is a new holder with a new key.
  auto again = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_NE(again->record.event.data["personal"]["holder"], holder);
  // A rebuild of the projections from the log makes the same erased views.
  auto before = f.reader().certificate(one->state.id)->state.fields;
  std::vector<projections::Projection*> ptrs;
  for (auto& p : f.projections) ptrs.push_back(p.get());
  f.ledger->sequencer()->stop();
  ASSERT_TRUE(projections::rebuild(f.ledger->store(), ptrs, {}).ok());
  EXPECT_EQ(f.reader().certificate(one->state.id)->state.fields, before);
}

TEST(Sealing, APhotoGoesWithItsLastHolder) {
  // Two people whose records name the same picture (the demo's samples do):
  // erasing the first keeps it for the second; erasing the second removes
  // the authority's copy.
  Fixture f;
  auto a = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  auto b = f.issue("special_operation", {{"name", "李明"}, {"id_number", "110105198001010016"}});
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().to_string() : a.error().to_string());
  const std::string photo =
      projections::opened_view(*f.reader().certificate(a->state.id), f.ledger->vault())->state.fields["photo"];
  ASSERT_EQ(photo,
            projections::opened_view(*f.reader().certificate(b->state.id), f.ledger->vault())->state.fields["photo"]);
  ASSERT_TRUE(f.erase(a->record.event.data["personal"]["holder"], "测试").ok());
  EXPECT_TRUE(f.ledger->blob_owned_by(f.authority().code, photo));
  auto still = projections::opened_view(*f.reader().certificate(b->state.id), f.ledger->vault());
  EXPECT_EQ(still->state.fields["name"], "李明");
  ASSERT_TRUE(f.erase(b->record.event.data["personal"]["holder"], "测试").ok());
  EXPECT_FALSE(f.ledger->blob_owned_by(f.authority().code, photo));
}

TEST(Sealing, AnErasureIsReappliedWhenAKeyCameBack) {
  // A backup from before the erasure, restored: the log's holder.erased
  // event destroys the key again when the ledger opens.
  Fixture f;
  auto r = f.issue("special_operation", {{"name", kName}, {"id_number", kId}});
  ASSERT_TRUE(r.ok());
  const std::string holder = r->record.event.data["personal"]["holder"];
  auto key = *f.ledger->vault()->key(holder);
  ASSERT_TRUE(key);
  ASSERT_TRUE(f.run(domain::CommandType::cancel, r->state.id).ok());
  ASSERT_TRUE(f.erase(holder).ok());
  ASSERT_TRUE(f.ledger->vault()->import(*key).ok());  // as a restored vault would hold it
  ASSERT_TRUE(*f.ledger->vault()->key(holder));
  f.ledger.reset();
  f.open(false);
  EXPECT_FALSE(*f.ledger->vault()->key(holder));
}

TEST(Sealing, TheStoreHoldsNoPlaintextAfterIssuesAndAnErasure) {
  Fixture f;
  // Photos are sealed at rest and read back whole.
  const std::string png = demo::SampleGenerator::sample_photo_png(0);
  const std::string ref = *f.ledger->put_blob(f.authority().code, png);
  EXPECT_EQ(*f.ledger->blob(ref), png);
  EXPECT_EQ(f.ledger->store().blob(ref)->find(png.substr(0, 64)), std::string::npos);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.issue("special_operation", {{"name", kName}, {"id_number", kId}}).ok());
  // Every value of every family, as the store reads them.
  for (const auto& cf : {store::kCfEvents, store::kCfVault, store::kCfBlobs, store::kCfIdempotency, store::kCfClaims,
                         store::kCfHeads, projections::kCfCerts, projections::kCfHolders, projections::kCfStatusFeed}) {
    ASSERT_TRUE(f.ledger->store()
                    .scan_prefix(cf, "",
                                 [&](std::string_view k, std::string_view v) {
                                   for (auto s : {k, v}) {
                                     EXPECT_EQ(s.find(kId), std::string_view::npos) << cf;
                                     EXPECT_EQ(s.find(kName), std::string_view::npos) << cf;
                                   }
                                   return true;
                                 })
                    .ok());
  }
}

}  // namespace
}  // namespace certledger
