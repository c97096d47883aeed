// A TrueType subset for embedding (OFD): only the glyphs of the code points
// used (plus glyph 0 and composite components), renumbered 0..n-1 with
// matching loca, hmtx and a new cmap (format 4 and 12); drops tables no
// renderer needs (bitmaps, layout, glyph names). Also grayscale PNG
// encoding for images.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "ledger/util/result.h"

namespace certledger::render {

// Horizontal metrics of a TrueType font: advance widths in em, from cmap
// and hmtx, the same numbers a renderer uses to place glyphs.
class TtfMetrics {
 public:
  static Result<TtfMetrics> parse(std::string_view ttf);
  double advance(char32_t cp) const;  // in em; glyph 0's for unmapped code points
  // Advance width of a UTF-8 string at a font size (in the size's unit).
  double width(std::string_view utf8, double size) const;
  uint16_t glyph(char32_t cp) const;

 private:
  std::string cmap_, hmtx_;
  uint16_t long_metrics_ = 0, units_per_em_ = 1000;
  mutable std::map<char32_t, uint16_t> cache_;
};

Result<std::string> subset_ttf(std::string_view ttf, const std::set<char32_t>& code_points);
// 8-bit grayscale PNG (zlib), for QR images.
std::string gray_png(int width, int height, const std::string& pixels);

}  // namespace certledger::render
