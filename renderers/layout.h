// What a certificate document shows and where, independent of the format.
// The layout draws on a Canvas in PDF user space (points, origin bottom
// left); the PDF canvas (PoDoFo) and the OFD canvas (GB/T 33190, mm with the
// origin top left) turn the same calls into their own page descriptions, so
// the two documents always carry the same content in the same places.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "renderers/assets.h"
#include "renderers/pdf.h"
#include "renderers/ttf_subset.h"

namespace certledger::render {

struct Ink {
  double r, g, b;
};
inline constexpr Ink kText{0.1, 0.1, 0.12}, kLabel{0.30, 0.30, 0.34}, kFrame{0.55, 0.38, 0.16}, kSeal{0.86, 0.08, 0.08};
inline constexpr double kA4Short = 595.28, kA4Long = 841.89;

class Canvas {
 public:
  virtual ~Canvas() = default;
  virtual void begin_page(double width, double height) = 0;
  // Advance width of s at this size, from the font's horizontal metrics.
  virtual double width(const std::string& s, double size) = 0;
  virtual void text(double x, double y, const std::string& s, double size, Ink ink) = 0;
  // One glyph centred on (x, y)'s vertical through the baseline, rotated by
  // angle (radians, counter-clockwise) around that point.
  virtual void glyph(double x, double y, double angle, const std::string& g, double size, Ink ink) = 0;
  virtual void stroke_rect(double x, double y, double w, double h, double line, Ink ink) = 0;
  virtual void stroke_circle(double cx, double cy, double r, double line, Ink ink) = 0;
  virtual void fill_polygon(const std::vector<std::pair<double, double>>& points, Ink ink) = 0;
  // The QR code with its quiet zone in the square (x, y, side).
  virtual void qr(const QrMatrix& qr, double x, double y, double side) = 0;
  // A JPEG or PNG photo scaled into the box.
  virtual void image(const std::string& bytes, double x, double y, double w, double h) = 0;
  // Everything drawn until pop_opacity() is this opaque (the seal).
  virtual void push_opacity(double alpha) = 0;
  virtual void pop_opacity() = 0;

  // The authority's red seal centred at (cx, cy): by default drawn as
  // vectors at 82 % opacity; OFD makes it the appearance of its signature.
  virtual void seal(double cx, double cy, double r, const std::string& name);

  void centered(double cx, double y, const std::string& s, double size, Ink ink) {
    text(cx - width(s, size) / 2, y, s, size, ink);
  }
  // Splits s into lines no wider than max at this size.
  std::vector<std::string> wrap(const std::string& s, double size, double max);
};

// Draws nothing; measures with the font's metrics and records every code
// point the layout writes. The first pass of a renderer that embeds a font
// subset which must exist before the first glyph is placed (PDF).
class CodePointCanvas final : public Canvas {
 public:
  explicit CodePointCanvas(const TtfMetrics& metrics) : metrics_(metrics) {}
  const std::set<char32_t>& used() const { return used_; }

  void begin_page(double, double) override {}
  double width(const std::string& s, double size) override { return metrics_.width(s, size); }
  void text(double, double, const std::string& s, double, Ink) override { record(s); }
  void glyph(double, double, double, const std::string& g, double, Ink) override { record(g); }
  void stroke_rect(double, double, double, double, double, Ink) override {}
  void stroke_circle(double, double, double, double, Ink) override {}
  void fill_polygon(const std::vector<std::pair<double, double>>&, Ink) override {}
  void qr(const QrMatrix&, double, double, double) override {}
  void image(const std::string&, double, double, double, double) override {}
  void push_opacity(double) override {}
  void pop_opacity() override {}

 private:
  void record(const std::string& s);
  const TtfMetrics& metrics_;
  std::set<char32_t> used_;
};

struct Row {
  std::string label;
  std::vector<std::string> lines;
};

std::vector<std::string> title_lines(const std::string& kind_name);
std::vector<Row> field_rows(const DocumentInput& in);
std::string statement(const DocumentInput& in);     // personnel kinds; else empty
std::string issuing_line(const DocumentInput& in);  // 发证机关：… / 发证单位：…
std::string issued_line(const DocumentInput& in);   // 发证日期：… / 发证时间：…
std::string qr_caption(const DocumentInput& in);

// Whether a stored photo decodes: JPEG with start and end markers, PNG with
// intact chunk CRCs and image data. A photo that does not is left out of the
// document (the box says so) instead of failing the whole document.
bool photo_usable(const std::string& bytes);

// Draws the whole document: frame, title, photo, fields (continuation pages
// when a scope list is long), statement, QR, issuing lines under the red
// seal, identifier and version footer.
void lay_out(const DocumentInput& in, const QrMatrix& qr, Canvas& canvas);

}  // namespace certledger::render
