#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <sys/stat.h>

#include <filesystem>

#include "ledger/crypto/jws.h"
#include "ledger/crypto/keys.h"
#include "ledger/merkle/checkpoint.h"
#include "ledger/util/encoding.h"

namespace certledger::crypto {
namespace {

class EveryAlg : public ::testing::TestWithParam<KeyAlg> {};

TEST_P(EveryAlg, SignVerifyAndReject) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key.ok());
  auto sig = key->sign("电子证照 message");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);  // Ed25519, or raw r||s
  PublicKey pub = key->public_key();
  EXPECT_TRUE(pub.verify("电子证照 message", *sig).ok());
  EXPECT_FALSE(pub.verify("电子证照 messagE", *sig).ok());
  std::string bad = *sig;
  bad[10] ^= 1;
  EXPECT_FALSE(pub.verify("电子证照 message", bad).ok());
  EXPECT_FALSE(pub.verify("电子证照 message", sig->substr(0, 63)).ok());
  auto other = PrivateKey::generate(GetParam());
  EXPECT_FALSE(other->public_key().verify("电子证照 message", *sig).ok());
}

TEST_P(EveryAlg, JwkRoundTripAndPemWithPassphrase) {
  auto key = PrivateKey::generate(GetParam());
  auto jwk = key->public_key().jwk();
  auto pub = PublicKey::from_jwk(jwk);
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  EXPECT_EQ(pub->alg(), GetParam());
  EXPECT_TRUE(pub->verify("m", *key->sign("m")).ok());

  auto pem = key->to_pem("s3cret");
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(PrivateKey::from_pem(*pem, "wrong").ok());
  auto back = PrivateKey::from_pem(*pem, "s3cret");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->alg(), GetParam());
  EXPECT_TRUE(key->public_key().verify("m", *back->sign("m")).ok());
}

TEST_P(EveryAlg, JwsRecordsVerifyOnlyUnchanged) {
  auto key = PrivateKey::generate(GetParam());
  const std::string payload = R"({"id":"x","type":"certificate.issued","holder":"广州某公司"})";
  auto rec = jws_sign(*key, "GD-ZJT/k1", payload);
  ASSERT_TRUE(rec.ok());
  auto parts = jws_parse(*rec);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  EXPECT_EQ(parts->payload, payload);
  EXPECT_EQ(parts->kid, "GD-ZJT/k1");
  EXPECT_EQ(parts->alg, jws_alg(GetParam()));
  EXPECT_TRUE(jws_verify(*parts, key->public_key()).ok());

  // A different payload under the same signature.
  auto j = nlohmann::json::parse(*rec);
  j["payload"] = base64url_encode(R"({"id":"y"})");
  auto forged = jws_parse(j.dump());
  ASSERT_TRUE(forged.ok());
  EXPECT_FALSE(jws_verify(*forged, key->public_key()).ok());
  // The same JSON spelt differently (member order, spaces, an escaped
  // character) is the same record to a verifier; the fast reading of our
  // own spelling and the general one must agree.
  auto respelt = nlohmann::json::parse(*rec);
  std::string p = respelt["payload"], h = respelt["protected"], s = respelt["signature"];
  const std::string loose = "{ \"signature\" : \"" + s + "\", \"protected\":\"" + h + "\",\n \"payload\":\"\\u00" +
                            hex_encode(p.substr(0, 1)) + p.substr(1) + "\" }";
  auto same = jws_parse(loose);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->payload, payload);
  EXPECT_EQ(same->kid, parts->kid);
  EXPECT_EQ(same->signing_input(), parts->signing_input());
  EXPECT_TRUE(jws_verify(*same, key->public_key()).ok());
  // Our spelling with a character outside base64url in a member is refused.
  std::string broken = *rec;
  broken[broken.find("\"payload\":\"") + 12] = '+';
  EXPECT_FALSE(jws_parse(broken).ok());
  // alg confusion: the header claims another algorithm than the key's.
  auto other = PrivateKey::generate(GetParam() == KeyAlg::ed25519 ? KeyAlg::es256 : KeyAlg::ed25519);
  EXPECT_FALSE(jws_verify(*parts, other->public_key()).ok());
}

INSTANTIATE_TEST_SUITE_P(Algs, EveryAlg, ::testing::Values(KeyAlg::ed25519, KeyAlg::es256, KeyAlg::sm2));

TEST(Jws, RejectsMalformedRecords) {
  EXPECT_FALSE(jws_parse("").ok());
  EXPECT_FALSE(jws_parse("{}").ok());
  EXPECT_FALSE(jws_parse(R"({"payload":"e30","protected":"e30","signature":"AA","x":1})").ok());
  EXPECT_FALSE(jws_parse(R"({"payload":"e30=","protected":"e30","signature":"AA"})").ok());
  EXPECT_FALSE(jws_parse(R"({"payload":"e30","protected":"e30","signature":"AA"}x)").ok());
  EXPECT_FALSE(jws_parse(R"({"payload":"e30","protected":"e30","signature":"AA")").ok());
  EXPECT_FALSE(jws_parse(R"({"payload":"e30","protected":"e30","signature":"A"})").ok());
  // Header without kid.
  std::string hdr = base64url_encode(R"({"alg":"EdDSA","typ":"certledger-event+json"})");
  EXPECT_FALSE(jws_parse(R"({"payload":"e30","protected":")" + hdr + R"(","signature":"AA"})").ok());
}

// Interoperability: our SM2 signature (raw r||s) must verify with the
// openssl command line using the GB/T 32918 distinguishing ID, and our
// ES256 signature likewise with plain ECDSA-SHA256.
std::string write_file(const std::filesystem::path& p, const std::string& data) {
  FILE* f = std::fopen(p.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
  return p.string();
}

std::string raw_to_der(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

TEST(Interop, OpensslCliVerifiesSm2AndEs256) {
  auto dir = std::filesystem::temp_directory_path() / ("cl-interop-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string msg = "证书编号 D144012345";
  write_file(dir / "msg", msg);
  for (auto [alg, opts] : {std::pair{KeyAlg::sm2, std::string("-digest sm3 -pkeyopt distid:1234567812345678")},
                           std::pair{KeyAlg::es256, std::string("-digest sha256")}}) {
    auto key = PrivateKey::generate(alg);
    write_file(dir / "pub.pem", key->public_key().spki_pem());
    write_file(dir / "sig", raw_to_der(*key->sign(msg)));
    std::string cmd = "openssl pkeyutl -verify -pubin -inkey " + (dir / "pub.pem").string() + " -rawin " + opts +
                      " -in " + (dir / "msg").string() + " -sigfile " + (dir / "sig").string() + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << alg_name(alg);
    write_file(dir / "msg", msg + "x");
    EXPECT_NE(std::system(cmd.c_str()), 0) << alg_name(alg);
    write_file(dir / "msg", msg);
  }
  std::filesystem::remove_all(dir);
}

TEST(Keys, SaveIsPrivateAndNeverOverwrites) {
  auto dir = std::filesystem::temp_directory_path() / ("cl-keys-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = PrivateKey::generate(KeyAlg::ed25519);
  std::string path = (dir / "k1.pem").string();
  ASSERT_TRUE(key->save(path, "").ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = key->save(path, "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  auto loaded = PrivateKey::load(path, "");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->public_key().raw(), key->public_key().raw());
  std::filesystem::remove_all(dir);
}

TEST(Checkpoint, SignedNoteRoundTripAndTamper) {
  auto key = PrivateKey::generate(KeyAlg::ed25519);
  merkle::Checkpoint c{"certledger.example/GD", 12345, sha256("root"), {}};
  auto note = merkle::sign_checkpoint(c, c.origin, *key);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->rfind("certledger.example/GD\n12345\n", 0), 0u);
  EXPECT_NE(note->find("\n\n\xe2\x80\x94 certledger.example/GD "), std::string::npos);
  auto back = merkle::open_checkpoint(*note, c.origin, key->public_key());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->size, 12345u);
  EXPECT_EQ(back->root, c.root);

  std::string tampered = *note;
  tampered.replace(tampered.find("12345"), 5, "12346");
  EXPECT_FALSE(merkle::open_checkpoint(tampered, c.origin, key->public_key()).ok());
  auto other = PrivateKey::generate(KeyAlg::ed25519);
  EXPECT_FALSE(merkle::open_checkpoint(*note, c.origin, other->public_key()).ok());
  EXPECT_FALSE(merkle::open_checkpoint(*note, "other-origin", key->public_key()).ok());

  std::string vkey = merkle::note_verifier_key(c.origin, key->public_key());
  auto parsed = merkle::parse_note_verifier_key(vkey);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->first, c.origin);
  EXPECT_TRUE(merkle::open_checkpoint(*note, c.origin, parsed->second).ok());
  EXPECT_FALSE(merkle::sign_checkpoint(c, c.origin, *PrivateKey::generate(KeyAlg::es256)).ok());
}

}  // namespace
}  // namespace certledger::crypto
