#include "ledger/merkle/checkpoint.h"

#include <cstring>

#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/utf8.h"

namespace certledger::merkle {
namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 EM DASH, space

Error bad(std::string m) { return make_error(Errc::corruption, "checkpoint: " + std::move(m)); }

}  // namespace

std::string checkpoint_body(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + base64_encode(hash_bytes(c.root)) + "\n";
  for (const auto& e : c.extensions) out += e + "\n";
  return out;
}

uint32_t signed_note_key_id(std::string_view name, unsigned char type, std::string_view key_bytes) {
  const char t = static_cast<char>(type);
  Hash256 h = sha256_parts({name, "\n", std::string_view(&t, 1), key_bytes});
  return (uint32_t(h[0]) << 24) | (uint32_t(h[1]) << 16) | (uint32_t(h[2]) << 8) | h[3];
}

std::string signed_note_vkey(std::string_view name, unsigned char type, std::string_view key_bytes) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", signed_note_key_id(name, type, key_bytes));
  return std::string(name) + "+" + hex + "+" +
         base64_encode(std::string(1, static_cast<char>(type)) + std::string(key_bytes));
}

uint32_t note_key_hash(std::string_view name, const crypto::PublicKey& key) {
  return signed_note_key_id(name, 0x01, key.raw());
}

std::string note_verifier_key(std::string_view name, const crypto::PublicKey& key) {
  return signed_note_vkey(name, 0x01, key.raw());
}

Result<std::pair<std::string, crypto::PublicKey>> parse_note_verifier_key(std::string_view v) {
  auto p1 = v.find('+');
  auto p2 = p1 == std::string_view::npos ? p1 : v.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return make_error(Errc::invalid_argument, "verifier key must be name+hash+key");
  std::string name(v.substr(0, p1));
  auto raw = base64_decode(v.substr(p2 + 1));
  if (!raw || raw->size() != 33 || (*raw)[0] != '\x01')
    return make_error(Errc::invalid_argument, "verifier key is not an Ed25519 note key");
  CL_ASSIGN(auto key,
            crypto::PublicKey::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(raw->substr(1))}}));
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", note_key_hash(name, key));
  if (v.substr(p1 + 1, p2 - p1 - 1) != hex)
    return make_error(Errc::invalid_argument, "verifier key hash does not match its key");
  return std::make_pair(name, std::move(key));
}

Result<std::string> sign_checkpoint(const Checkpoint& c, std::string_view key_name, const crypto::PrivateKey& key) {
  if (key.alg() != crypto::KeyAlg::ed25519)
    return make_error(Errc::invalid_argument, "checkpoints are signed with an Ed25519 log key");
  if (c.origin.empty() || c.origin.find('\n') != std::string::npos)
    return make_error(Errc::invalid_argument, "checkpoint origin must be one non-empty line");
  std::string body = checkpoint_body(c);
  CL_ASSIGN(std::string sig, key.sign(body));
  uint32_t kh = note_key_hash(key_name, key.public_key());
  std::string blob;
  for (int s = 24; s >= 0; s -= 8) blob += static_cast<char>((kh >> s) & 0xff);
  blob += sig;
  return body + "\n" + std::string(kDash) + std::string(key_name) + " " + base64_encode(blob) + "\n";
}

Result<Checkpoint> parse_checkpoint_body(std::string_view note) {
  if (!is_valid_utf8(note)) return bad("not UTF-8");
  auto sep = note.find("\n\n");
  if (sep == std::string_view::npos) return bad("no blank line before the signatures");
  auto lines = split_lines(note.substr(0, sep + 1));
  if (lines.size() < 3) return bad("body needs origin, size and root hash lines");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return bad("empty origin");
  // A decimal uint64 without leading zeros (C2SP tlog-checkpoint).
  const auto& sz = lines[1];
  auto size = parse_decimal(sz, 20);
  if (!size || (sz.size() > 1 && sz[0] == '0')) return bad("bad tree size");
  c.size = *size;
  auto root = base64_decode(lines[2]);
  if (!root || root->size() != 32) return bad("root hash is not 32 bytes of base64");
  std::memcpy(c.root.data(), root->data(), 32);
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad("empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::optional<std::string_view> checkpoint_extension(const Checkpoint& c, std::string_view name) {
  for (const auto& line : c.extensions)
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ' ')
      return std::string_view(line).substr(name.size() + 1);
  return std::nullopt;
}

std::optional<uint64_t> checkpoint_time(const Checkpoint& c) {
  auto t = checkpoint_extension(c, "time");
  return t ? parse_decimal(*t) : std::nullopt;
}

std::optional<uint64_t> note_time(std::string_view note) {
  auto c = parse_checkpoint_body(note);
  return c.ok() ? checkpoint_time(*c) : std::nullopt;
}

Result<Checkpoint> open_checkpoint(std::string_view note, std::string_view key_name, const crypto::PublicKey& key) {
  // The signature is checked over the body's bytes before the body is read:
  // nothing in an unsigned note is interpreted.
  auto sep = note.find("\n\n");
  if (sep == std::string_view::npos) return bad("no blank line before the signatures");
  std::string_view body = note.substr(0, sep + 1);
  if (note.back() != '\n') return bad("note must end with a newline");
  uint32_t want = note_key_hash(key_name, key);
  for (auto line : split_lines(note.substr(sep + 2))) {
    if (line.substr(0, kDash.size()) != kDash) return bad("malformed signature line");
    line.remove_prefix(kDash.size());
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) return bad("malformed signature line");
    if (line.substr(0, sp) != key_name) continue;
    auto blob = base64_decode(line.substr(sp + 1));
    if (!blob || blob->size() < 5) return bad("malformed signature");
    uint32_t kh = (uint32_t(uint8_t((*blob)[0])) << 24) | (uint32_t(uint8_t((*blob)[1])) << 16) |
                  (uint32_t(uint8_t((*blob)[2])) << 8) | uint8_t((*blob)[3]);
    if (kh != want) continue;
    if (!key.verify(body, blob->substr(4)).ok())
      return bad("signature of " + std::string(key_name) + " does not verify");
    return parse_checkpoint_body(note);
  }
  return bad("no signature by " + std::string(key_name));
}

}  // namespace certledger::merkle
