#include "renderers/assets.h"

#include <qrencode.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

namespace certledger::render {

namespace {

uint32_t be32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}
uint16_t be16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}
void put32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

}  // namespace

Result<std::string> extract_ttc_face(std::string_view ttc, unsigned face) {
  if (ttc.size() < 12 || ttc.substr(0, 4) != "ttcf") return std::string(ttc);  // already a plain font
  const uint32_t faces = be32(ttc, 8);
  if (face >= faces || 12 + 4 * (face + 1) > ttc.size())
    return make_error(Errc::invalid_argument, "font collection has no face " + std::to_string(face));
  const size_t dir = be32(ttc, 12 + 4 * face);
  if (dir + 12 > ttc.size()) return make_error(Errc::corruption, "font collection is truncated");
  const uint16_t tables = be16(ttc, dir + 4);
  if (dir + 12 + 16 * size_t(tables) > ttc.size())
    return make_error(Errc::corruption, "font table directory is truncated");
  // Offset table and table records, then each table 4-byte aligned.
  std::string out(ttc.substr(dir, 12 + 16 * size_t(tables)));
  for (uint16_t i = 0; i < tables; ++i) {
    const size_t rec = dir + 12 + 16 * i;
    const uint32_t off = be32(ttc, rec + 8), len = be32(ttc, rec + 12);
    if (size_t(off) + len > ttc.size()) return make_error(Errc::corruption, "font table out of range");
    while (out.size() % 4) out += '\0';
    put32(out, 12 + 16 * i + 8, static_cast<uint32_t>(out.size()));
    out.append(ttc.substr(off, len));
  }
  return out;
}

Result<std::shared_ptr<const std::string>> cjk_font() {
  static std::mutex mu;
  static std::shared_ptr<const std::string> font;
  std::lock_guard lock(mu);
  if (font) return font;
  const char* path = std::getenv("CERTLEDGER_FONT");
  std::ifstream in(path ? path : kDefaultFontFile, std::ios::binary);
  if (!in)
    return make_error(Errc::unavailable, std::string("font ") + (path ? path : kDefaultFontFile) +
                                             " not found (Debian package fonts-wqy-zenhei)");
  std::stringstream ss;
  ss << in.rdbuf();
  CL_ASSIGN(std::string ttf, extract_ttc_face(ss.str(), 0));
  font = std::make_shared<const std::string>(std::move(ttf));
  return font;
}

Result<const TtfMetrics*> cjk_metrics() {
  thread_local std::shared_ptr<const std::string> parsed_from;
  thread_local std::optional<TtfMetrics> metrics;
  CL_ASSIGN(auto font, cjk_font());
  if (parsed_from != font) {
    CL_ASSIGN(TtfMetrics m, TtfMetrics::parse(*font));
    metrics = std::move(m);
    parsed_from = font;
  }
  return &*metrics;
}

Result<QrMatrix> qr_encode(std::string_view text) {
  std::string s(text);
  QRcode* code = QRcode_encodeString(s.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!code) return make_error(Errc::invalid_argument, "cannot encode a QR code for " + s);
  QrMatrix m;
  m.size = code->width;
  m.dark.resize(static_cast<size_t>(m.size * m.size));
  for (int i = 0; i < m.size * m.size; ++i) m.dark[static_cast<size_t>(i)] = code->data[i] & 1;
  QRcode_free(code);
  return m;
}

}  // namespace certledger::render
