// Shared inputs of the document renderers: the CJK font (WenQuanYi Zen Hei,
// face 0 of its TrueType collection, as a plain TTF so PoDoFo can subset it)
// and QR code matrices (libqrencode, level M).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/util/result.h"
#include "renderers/ttf_subset.h"

namespace certledger::render {

inline constexpr const char* kDefaultFontFile = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

// The TTF bytes of the font, loaded once per process (thread-safe).
Result<std::shared_ptr<const std::string>> cjk_font();
// The font's horizontal metrics, parsed once per thread (TtfMetrics caches
// glyph lookups and is not shared between threads).
Result<const TtfMetrics*> cjk_metrics();
// Extracts one face of a TrueType collection into a standalone TTF.
Result<std::string> extract_ttc_face(std::string_view ttc, unsigned face);

struct QrMatrix {
  int size = 0;               // modules per side, without the quiet zone
  std::vector<uint8_t> dark;  // size * size, row-major
  bool at(int x, int y) const { return dark[static_cast<size_t>(y * size + x)] != 0; }
};
Result<QrMatrix> qr_encode(std::string_view text);

}  // namespace certledger::render
