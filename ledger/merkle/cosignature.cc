#include "ledger/merkle/cosignature.h"

#include "ledger/merkle/checkpoint.h"

#include <cstdio>

#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"

namespace certledger::merkle {

namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 and a space

std::string signed_message(std::string_view body, uint64_t time) {
  return "cosignature/v1\ntime " + std::to_string(time) + "\n" + std::string(body);
}

Error bad(const std::string& why) { return make_error(Errc::corruption, "cosignature: " + why); }

}  // namespace

uint32_t cosigner_key_id(std::string_view name, const crypto::PublicKey& key) {
  return signed_note_key_id(name, 0x04, key.raw());
}

std::string cosigner_verifier_key(std::string_view name, const crypto::PublicKey& key) {
  return signed_note_vkey(name, 0x04, key.raw());
}

Result<std::pair<std::string, crypto::PublicKey>> parse_cosigner_verifier_key(std::string_view v) {
  const size_t p1 = v.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : v.find('+', p1 + 1);
  if (p2 == std::string_view::npos || p1 == 0)
    return make_error(Errc::invalid_argument, "a witness key is name+hash+key");
  auto raw = base64_decode(v.substr(p2 + 1));
  if (!raw || raw->size() != 33 || (*raw)[0] != '\x04')
    return make_error(Errc::invalid_argument, "not an Ed25519 cosignature/v1 key (type 0x04)");
  CL_ASSIGN(auto key,
            crypto::PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(raw->substr(1))}}));
  std::string name(v.substr(0, p1));
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", cosigner_key_id(name, key));
  if (v.substr(p1 + 1, p2 - p1 - 1) != hex)
    return make_error(Errc::invalid_argument, "witness key hash does not match");
  return std::make_pair(std::move(name), std::move(key));
}

Result<std::string> cosign(std::string_view body, std::string_view name, const crypto::PrivateKey& key, uint64_t time) {
  if (key.alg() != crypto::KeyAlg::ed25519) return make_error(Errc::invalid_argument, "cosignatures are Ed25519");
  if (time > uint64_t{INT64_MAX}) return make_error(Errc::invalid_argument, "cosignature time out of range");
  CL_ASSIGN(std::string sig, key.sign(signed_message(body, time)));
  std::string blob;
  put_be32(blob, cosigner_key_id(name, key.public_key()));
  put_be64(blob, time);
  blob += sig;
  return std::string(kDash) + std::string(name) + " " + base64_encode(blob) + "\n";
}

Result<std::optional<uint64_t>> verify_cosignature(std::string_view note, std::string_view name,
                                                   const crypto::PublicKey& key) {
  const size_t sep = note.find("\n\n");
  if (sep == std::string_view::npos) return bad("no blank line before the signatures");
  const std::string_view body = note.substr(0, sep + 1);
  const uint32_t id = cosigner_key_id(name, key);
  for (std::string_view line : split_lines(note.substr(sep + 2))) {
    if (!line.starts_with(kDash)) continue;
    line.remove_prefix(kDash.size());
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || line.substr(0, sp) != name) continue;
    auto blob = base64_decode(line.substr(sp + 1));
    if (!blob || blob->size() != 76 || get_be32(*blob) != id) continue;  // another key of that name
    const uint64_t time = get_be64(std::string_view(*blob).substr(4));
    if (!key.verify(signed_message(body, time), blob->substr(12)).ok())
      return bad("the cosignature by " + std::string(name) + " does not verify");
    return std::optional<uint64_t>(time);
  }
  return std::optional<uint64_t>();
}

}  // namespace certledger::merkle
