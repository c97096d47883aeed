// The OFD side of a document: a Canvas that records each page as OFD
// Content.xml (GB/T 33190-2016), with the XML helpers the package writer
// (renderers/ofd.cc) shares. Coordinates arrive in PDF points (origin
// bottom left) and are written in OFD millimetres (origin top left).
#pragma once

#include <cmath>
#include <initializer_list>
#include <pugixml.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/util/result.h"
#include "ledger/util/utf8.h"
#include "renderers/layout.h"
#include "renderers/ttf_subset.h"

namespace certledger::render::ofd {

inline constexpr const char* kNs = "http://www.ofdspec.org/2016";
inline constexpr double kMm = 25.4 / 72.0;  // one PDF point in mm
inline constexpr double kSealPad = 4.0;     // points around the seal ring in its picture
inline constexpr const char* kSignatureXml = "Doc_0/Signs/Sign_0/Signature.xml";
inline constexpr const char* kSignedValue = "Doc_0/Signs/Sign_0/SignedValue.dat";

std::string num(double v);
std::string nums(std::initializer_list<double> vs);
std::string color(Ink ink);
// A new XML document's root element in the OFD namespace.
pugi::xml_node root(pugi::xml_document& doc, const char* name);
std::string xml(const pugi::xml_document& doc);
void child_text(pugi::xml_node parent, const char* name, const std::string& text);

struct Media {
  int id;
  std::string file, format, bytes;
};
struct SealMark {
  size_t page;
  double cx, cy, r;  // points, PDF space
};

// Records the page descriptions; coordinates converted from PDF points
// (origin bottom left) to OFD millimetres (origin top left).
class OfdCanvas final : public Canvas {
 public:
  OfdCanvas(const TtfMetrics& metrics, bool seal_as_signature)
      : metrics_(metrics), seal_as_signature_(seal_as_signature) {}

  void begin_page(double w, double h) override {
    auto& p = pages_.emplace_back();
    p.w = w;
    p.h = h;
    p.id = next();
    auto page = root(*p.doc, "ofd:Page");
    page.append_child("ofd:Area").append_child("ofd:PhysicalBox").text().set(nums({0, 0, w * kMm, h * kMm}).c_str());
    p.layer = page.append_child("ofd:Content").append_child("ofd:Layer");
    p.layer.append_attribute("ID") = next();
    p.layer.append_attribute("Type") = "Body";
  }
  double width(const std::string& s, double size) override { return metrics_.width(s, size); }
  void text(double x, double y, const std::string& s, double size, Ink ink) override {
    const double sz = size * kMm, w = width(s, size) * kMm;
    auto o = object("ofd:TextObject", {x * kMm, Y(y) - sz, w + sz, sz * 1.3});
    text_code(o, s, size, ink, 0, sz);
  }
  void glyph(double x, double y, double angle, const std::string& g, double size, Ink ink) override {
    const double sz = size * kMm, c = std::cos(angle), s = std::sin(angle);
    auto o = object("ofd:TextObject", {x * kMm - sz, Y(y) - sz, 2 * sz, 2 * sz});
    // Object space: baseline through the origin; rotated (y down) and
    // moved to the box centre.
    o.append_attribute("CTM") = nums({c, -s, s, c, sz, sz}).c_str();
    text_code(o, g, size, ink, -width(g, size) * kMm / 2, 0);
  }
  void stroke_rect(double x, double y, double w, double h, double line, Ink ink) override {
    const double lw = line * kMm, X = x * kMm, T = Y(y + h), W = w * kMm, H = h * kMm;
    auto o = path({X - lw / 2, T - lw / 2, W + lw, H + lw}, lw, ink, false);
    const double a = lw / 2;
    set_path(o, "M " + nums({a, a}) + " L " + nums({a + W, a}) + " L " + nums({a + W, a + H}) + " L " +
                    nums({a, a + H}) + " C");
  }
  void stroke_circle(double cx, double cy, double r, double line, Ink ink) override {
    const double lw = line * kMm, R = r * kMm, box = 2 * R + lw, c0 = box / 2, k = 0.5523 * R;
    auto o = path({cx * kMm - box / 2, Y(cy) - box / 2, box, box}, lw, ink, false);
    std::string d = "M " + nums({c0 + R, c0});
    d += " B " + nums({c0 + R, c0 + k, c0 + k, c0 + R, c0, c0 + R});
    d += " B " + nums({c0 - k, c0 + R, c0 - R, c0 + k, c0 - R, c0});
    d += " B " + nums({c0 - R, c0 - k, c0 - k, c0 - R, c0, c0 - R});
    d += " B " + nums({c0 + k, c0 - R, c0 + R, c0 - k, c0 + R, c0}) + " C";
    set_path(o, d);
  }
  void fill_polygon(const std::vector<std::pair<double, double>>& pts, Ink ink) override {
    if (pts.empty()) return;
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (auto [x, y] : pts) {
      x0 = std::min(x0, x * kMm), x1 = std::max(x1, x * kMm);
      y0 = std::min(y0, Y(y)), y1 = std::max(y1, Y(y));
    }
    // Filled and outlined in the same colour: readers that do not fill
    // paths of a stamp (ofd.js) still show the shape.
    const double lw = 0.2;
    x0 -= lw, y0 -= lw, x1 += lw, y1 += lw;
    auto o = path({x0, y0, x1 - x0, y1 - y0}, lw, ink, true);
    std::string d;
    for (auto [x, y] : pts) {
      d += d.empty() ? "M " : " L ";
      d += nums({x * kMm - x0, Y(y) - y0});
    }
    set_path(o, d + " C");
  }
  // The QR code as a grayscale PNG, 6 pixels per module, quiet zone included.
  void qr(const QrMatrix& qr, double x, double y, double side) override {
    const int scale = 6, n = (qr.size + 8) * scale;
    std::string px(static_cast<size_t>(n) * n, '\xff');
    for (int row = 0; row < qr.size; ++row)
      for (int col = 0; col < qr.size; ++col)
        if (qr.at(col, row))
          for (int dy = 0; dy < scale; ++dy)
            px.replace(static_cast<size_t>(((row + 4) * scale + dy) * n + (col + 4) * scale), scale, scale, '\0');
    place_image(gray_png(n, n, px), "PNG", x, y, side, side);
  }
  void image(const std::string& bytes, double x, double y, double w, double h) override {
    place_image(bytes, bytes.compare(0, 4, "\x89PNG") == 0 ? "PNG" : "JPEG", x, y, w, h);
  }
  void push_opacity(double alpha) override { alpha_.push_back(static_cast<int>(std::lround(alpha * 255))); }
  void pop_opacity() override {
    if (!alpha_.empty()) alpha_.pop_back();
  }
  void seal(double cx, double cy, double r, const std::string& name) override {
    if (!seal_as_signature_) return Canvas::seal(cx, cy, r, name);
    seals_.push_back({pages_.size() - 1, cx, cy, r});
  }

  // The package files of this canvas (no signature).
  std::vector<std::pair<std::string, std::string>> package(const std::string& title, const std::string& author,
                                                           const std::string& doc_id, UnixMillis created,
                                                           bool signed_doc) {
    std::vector<std::pair<std::string, std::string>> files;
    {
      pugi::xml_document d;
      auto body = root(d, "ofd:OFD").append_child("ofd:DocBody");
      body.parent().append_attribute("Version") = "1.0";
      body.parent().append_attribute("DocType") = "OFD";
      auto info = body.append_child("ofd:DocInfo");
      child_text(info, "ofd:DocID", doc_id);
      child_text(info, "ofd:Title", title);
      child_text(info, "ofd:Author", author);
      child_text(info, "ofd:CreationDate", format_rfc3339_ms(created).substr(0, 10));
      child_text(info, "ofd:Creator", "certledger");
      child_text(body, "ofd:DocRoot", "Doc_0/Document.xml");
      if (signed_doc) child_text(body, "ofd:Signatures", "Doc_0/Signs/Signatures.xml");
      files.emplace_back("OFD.xml", xml(d));
    }
    {
      pugi::xml_document d;
      auto doc = root(d, "ofd:Document");
      auto common = doc.append_child("ofd:CommonData");
      child_text(common, "ofd:MaxUnitID", std::to_string(ids_));
      const double w = pages_.empty() ? 210 : pages_[0].w * kMm, h = pages_.empty() ? 297 : pages_[0].h * kMm;
      common.append_child("ofd:PageArea").append_child("ofd:PhysicalBox").text().set(nums({0, 0, w, h}).c_str());
      child_text(common, "ofd:PublicRes", "PublicRes.xml");
      if (!media_.empty()) child_text(common, "ofd:DocumentRes", "DocumentRes.xml");
      auto pages = doc.append_child("ofd:Pages");
      for (size_t i = 0; i < pages_.size(); ++i) {
        auto p = pages.append_child("ofd:Page");
        p.append_attribute("ID") = pages_[i].id;
        p.append_attribute("BaseLoc") = ("Pages/Page_" + std::to_string(i) + "/Content.xml").c_str();
      }
      files.emplace_back("Doc_0/Document.xml", xml(d));
    }
    {
      pugi::xml_document d;
      auto res = root(d, "ofd:Res");
      res.append_attribute("BaseLoc") = "Res";
      auto font = res.append_child("ofd:Fonts").append_child("ofd:Font");
      font.append_attribute("ID") = font_id_;
      font.append_attribute("FontName") = "WenQuanYi Zen Hei";
      font.append_attribute("FamilyName") = "WenQuanYi Zen Hei";
      child_text(font, "ofd:FontFile", font_file());
      files.emplace_back("Doc_0/PublicRes.xml", xml(d));
    }
    if (!media_.empty()) {
      pugi::xml_document d;
      auto res = root(d, "ofd:Res");
      res.append_attribute("BaseLoc") = "Res";
      auto list = res.append_child("ofd:MultiMedias");
      for (const auto& m : media_) {
        auto mm = list.append_child("ofd:MultiMedia");
        mm.append_attribute("ID") = m.id;
        mm.append_attribute("Type") = "Image";
        mm.append_attribute("Format") = m.format.c_str();
        child_text(mm, "ofd:MediaFile", m.file);
      }
      files.emplace_back("Doc_0/DocumentRes.xml", xml(d));
    }
    for (size_t i = 0; i < pages_.size(); ++i)
      files.emplace_back("Doc_0/Pages/Page_" + std::to_string(i) + "/Content.xml", xml(*pages_[i].doc));
    return files;
  }
  std::string font_file() const { return "font_" + std::to_string(font_id_) + ".ttf"; }
  const std::set<char32_t>& used() const { return used_; }
  const std::vector<Media>& media() const { return media_; }
  const std::vector<SealMark>& seals() const { return seals_; }
  int page_id(size_t i) const { return pages_[i].id; }
  double page_height(size_t i) const { return pages_[i].h; }
  int next() { return ++ids_; }

 private:
  struct Page {
    double w = 0, h = 0;
    int id = 0;
    std::unique_ptr<pugi::xml_document> doc = std::make_unique<pugi::xml_document>();
    pugi::xml_node layer;
  };
  double Y(double y) const { return (pages_.back().h - y) * kMm; }
  pugi::xml_node object(const char* type, std::initializer_list<double> box) {
    auto o = pages_.back().layer.append_child(type);
    o.append_attribute("ID") = next();
    o.append_attribute("Boundary") = nums(box).c_str();
    if (!alpha_.empty()) o.append_attribute("Alpha") = alpha_.back();
    return o;
  }
  void paint(pugi::xml_node o, const char* which, Ink ink) {
    auto c = o.append_child(which);
    c.append_attribute("Value") = color(ink).c_str();
    if (!alpha_.empty()) c.append_attribute("Alpha") = alpha_.back();
  }
  void text_code(pugi::xml_node o, const std::string& s, double size, Ink ink, double x, double y) {
    o.append_attribute("Font") = font_id_;
    o.append_attribute("Size") = num(size * kMm).c_str();
    paint(o, "ofd:FillColor", ink);
    auto code = o.append_child("ofd:TextCode");
    code.append_attribute("X") = num(x).c_str();
    code.append_attribute("Y") = num(y).c_str();
    std::string dx;
    auto cps = utf8_decode(s);
    for (size_t i = 0; i < cps.size(); ++i) {
      used_.insert(cps[i]);
      if (i + 1 == cps.size()) continue;
      if (!dx.empty()) dx += ' ';
      dx += num(metrics_.advance(cps[i]) * size * kMm);
    }
    if (!dx.empty()) code.append_attribute("DeltaX") = dx.c_str();
    code.text().set(s.c_str());
  }
  pugi::xml_node path(std::initializer_list<double> box, double lw, Ink ink, bool fill) {
    auto o = object("ofd:PathObject", box);
    o.append_attribute("Stroke") = lw > 0 ? "true" : "false";
    o.append_attribute("Fill") = fill ? "true" : "false";
    if (lw > 0) o.append_attribute("LineWidth") = num(lw).c_str();
    if (lw > 0) paint(o, "ofd:StrokeColor", ink);
    if (fill) paint(o, "ofd:FillColor", ink);
    return o;
  }
  static void set_path(pugi::xml_node o, const std::string& d) { child_text(o, "ofd:AbbreviatedData", d); }
  void place_image(std::string bytes, const char* format, double x, double y, double w, double h) {
    const int id = next();
    media_.push_back(
        {id, "image_" + std::to_string(id) + (format[0] == 'P' ? ".png" : ".jpg"), format, std::move(bytes)});
    auto o = object("ofd:ImageObject", {x * kMm, Y(y + h), w * kMm, h * kMm});
    o.append_attribute("CTM") = nums({w * kMm, 0, 0, h * kMm, 0, 0}).c_str();
    o.append_attribute("ResourceID") = id;
  }

  const TtfMetrics& metrics_;
  bool seal_as_signature_;
  int ids_ = 0;
  int font_id_ = next();
  std::vector<Page> pages_;
  std::vector<int> alpha_;
  std::set<char32_t> used_;
  std::vector<Media> media_;
  std::vector<SealMark> seals_;
};

// Adds the font subset and the images to a canvas's package.
Status add_resources(OfdCanvas& c, std::vector<std::pair<std::string, std::string>>& files, std::string_view font);

}  // namespace certledger::render::ofd
