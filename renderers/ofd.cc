#include "renderers/ofd.h"

#include <zip.h>

#include <cmath>
#include <cstdio>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "ledger/util/encoding.h"
#include "ledger/util/utf8.h"
#include "renderers/assets.h"
#include "renderers/layout.h"
#include "renderers/ttf_subset.h"

namespace certledger::render {

namespace {

constexpr const char* kNs = "http://www.ofdspec.org/2016";
constexpr double kMm = 25.4 / 72.0;  // one PDF point in mm
constexpr double kSealPad = 4.0;     // points around the seal ring in its picture
constexpr const char* kSignatureXml = "Doc_0/Signs/Sign_0/Signature.xml";
constexpr const char* kSignedValue = "Doc_0/Signs/Sign_0/SignedValue.dat";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::abs(v) < 0.0005 ? 0.0 : v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}
std::string nums(std::initializer_list<double> vs) {
  std::string s;
  for (double v : vs) {
    if (!s.empty()) s += ' ';
    s += num(v);
  }
  return s;
}
std::string color(Ink ink) {
  auto c = [](double v) { return std::to_string(static_cast<int>(std::lround(v * 255))); };
  return c(ink.r) + " " + c(ink.g) + " " + c(ink.b);
}

pugi::xml_node root(pugi::xml_document& doc, const char* name) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto r = doc.append_child(name);
  r.append_attribute("xmlns:ofd") = kNs;
  return r;
}
std::string xml(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}
void child_text(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

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
    media_.push_back({id, "image_" + std::to_string(id) + (format[0] == 'P' ? ".png" : ".jpg"), format, std::move(bytes)});
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
Status add_resources(OfdCanvas& c, std::vector<std::pair<std::string, std::string>>& files, std::string_view font) {
  CL_ASSIGN(std::string subset, subset_ttf(font, c.used()));
  files.emplace_back("Doc_0/Res/" + c.font_file(), std::move(subset));
  for (const auto& m : c.media()) files.emplace_back("Doc_0/Res/" + m.file, m.bytes);
  return {};
}

}  // namespace

Result<std::string> ofd_container(const std::vector<std::pair<std::string, std::string>>& files, UnixMillis mtime) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!src) return make_error(Errc::internal, "zip: cannot create a buffer");
  zip_source_keep(src);
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  if (!za) {
    zip_source_free(src);
    return make_error(Errc::internal, std::string("zip: ") + zip_error_strerror(&err));
  }
  for (const auto& [name, data] : files) {
    zip_source_t* s = zip_source_buffer(za, data.data(), data.size(), 0);
    const zip_int64_t idx = s ? zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (s) zip_source_free(s);
      std::string why = zip_strerror(za);
      zip_discard(za);
      zip_source_free(src);
      return make_error(Errc::internal, "zip: " + why);
    }
    zip_file_set_mtime(za, static_cast<zip_uint64_t>(idx), static_cast<time_t>(mtime / 1000), 0);
  }
  if (zip_close(za) != 0) {
    std::string why = zip_strerror(za);
    zip_discard(za);
    zip_source_free(src);
    return make_error(Errc::internal, "zip: " + why);
  }
  std::string out;
  if (zip_source_open(src) == 0) {
    zip_source_seek(src, 0, SEEK_END);
    out.resize(static_cast<size_t>(zip_source_tell(src)));
    zip_source_seek(src, 0, SEEK_SET);
    zip_source_read(src, out.data(), out.size());
    zip_source_close(src);
  }
  zip_source_free(src);
  if (out.empty()) return make_error(Errc::internal, "zip: empty archive");
  return out;
}

namespace {

Result<std::map<std::string, std::string>> unzip(std::string_view bytes) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  zip_t* za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) : nullptr;
  if (!za) {
    if (src) zip_source_free(src);
    return make_error(Errc::invalid_argument, std::string("not an OFD zip container: ") + zip_error_strerror(&err));
  }
  std::map<std::string, std::string> files;
  const zip_int64_t n = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
    std::string data(static_cast<size_t>(st.size), '\0');
    zip_file_t* f = zip_fopen_index(za, static_cast<zip_uint64_t>(i), 0);
    const bool ok = f && zip_fread(f, data.data(), data.size()) == static_cast<zip_int64_t>(data.size());
    if (f) zip_fclose(f);
    if (!ok) {
      zip_close(za);
      return make_error(Errc::invalid_argument, std::string("OFD: cannot read ") + st.name);
    }
    files[st.name] = std::move(data);
  }
  zip_close(za);
  return files;
}

std::string strip_slash(std::string s) { return !s.empty() && s[0] == '/' ? s.substr(1) : s; }

}  // namespace

Result<std::string> render_ofd(const DocumentInput& in, const SealIdentity& id, UnixMillis signing_time) {
  if (!in.kind) return make_error(Errc::invalid_argument, "document without a kind");
  CL_ASSIGN(auto font, cjk_font());
  CL_ASSIGN(const TtfMetrics* metrics_ptr, cjk_metrics());
  const TtfMetrics& metrics = *metrics_ptr;
  CL_ASSIGN(QrMatrix qr, qr_encode(in.verify_url));

  OfdCanvas page(metrics, true);
  lay_out(in, qr, page);
  if (page.seals().size() != 1) return make_error(Errc::internal, "OFD: the layout placed no seal");
  const SealMark mark = page.seals()[0];

  // The seal picture: a one-page OFD with the vector seal.
  const double side = 2 * (mark.r + kSealPad);
  OfdCanvas picture(metrics, false);
  picture.begin_page(side, side);
  picture.Canvas::seal(side / 2, side / 2, mark.r, in.authority.name);
  auto seal_files = picture.package("电子印章", in.authority.name, id.code + "-seal", in.version_time, false);
  CL_TRY(add_resources(picture, seal_files, *font));
  CL_ASSIGN(std::string seal_ofd, ofd_container(seal_files, in.version_time));
  const int side_mm = static_cast<int>(std::lround(side * kMm));
  CL_ASSIGN(std::string seal, make_seal(id, {"ofd", seal_ofd, side_mm, side_mm}, in.version_time));

  const std::string title = std::string(in.kind->name) + " " + in.fields.value("number", "");
  auto files = page.package(title, in.authority.name, in.certificate_id + "/" + std::to_string(in.version),
                            in.version_time, true);
  CL_TRY(add_resources(page, files, *font));
  {
    pugi::xml_document d;
    auto sigs = root(d, "ofd:Signatures");
    child_text(sigs, "ofd:MaxSignId", "1");
    auto s = sigs.append_child("ofd:Signature");
    s.append_attribute("ID") = "1";
    s.append_attribute("Type") = "Seal";
    s.append_attribute("BaseLoc") = (std::string("/") + kSignatureXml).c_str();
    files.emplace_back("Doc_0/Signs/Signatures.xml", xml(d));
  }
  // Signature.xml: the SM3 of every file so far, the stamp's place.
  pugi::xml_document d;
  auto info = root(d, "ofd:Signature").append_child("ofd:SignedInfo");
  auto provider = info.append_child("ofd:Provider");
  provider.append_attribute("ProviderName") = "certledger";
  provider.append_attribute("Version") = "1.0";
  provider.append_attribute("Company") = "certledger";
  child_text(info, "ofd:SignatureMethod", "1.2.156.10197.1.501");
  child_text(info, "ofd:SignatureDateTime", generalized_time(signing_time));
  auto refs = info.append_child("ofd:References");
  refs.append_attribute("CheckMethod") = "1.2.156.10197.1.401";
  for (const auto& [name, data] : files) {
    auto r = refs.append_child("ofd:Reference");
    r.append_attribute("FileRef") = ("/" + name).c_str();
    child_text(r, "ofd:CheckValue", base64_encode(sm3(data)));
  }
  const double r_mm = (mark.r + kSealPad) * kMm;
  auto stamp = info.append_child("ofd:StampAnnot");
  stamp.append_attribute("ID") = "1";
  stamp.append_attribute("PageRef") = page.page_id(mark.page);
  stamp.append_attribute("Boundary") =
      nums({mark.cx * kMm - r_mm, (page.page_height(mark.page) - mark.cy) * kMm - r_mm, 2 * r_mm, 2 * r_mm}).c_str();
  d.document_element().append_child("ofd:SignedValue").text().set((std::string("/") + kSignedValue).c_str());
  const std::string signature_xml = xml(d);
  CL_ASSIGN(std::string ses, ses_sign(id, seal, signature_xml, std::string("/") + kSignatureXml, signing_time));
  files.emplace_back(kSignatureXml, signature_xml);
  files.emplace_back(kSignedValue, ses);
  return ofd_container(files, in.version_time);
}

Result<OfdVerified> verify_ofd(std::string_view bytes) {
  CL_ASSIGN(auto files, unzip(bytes));
  auto bad = [](const std::string& m) { return make_error(Errc::corruption, "OFD: " + m); };
  if (!files.count("OFD.xml")) return bad("no OFD.xml");
  pugi::xml_document ofd;
  if (!ofd.load_string(files["OFD.xml"].c_str())) return bad("OFD.xml is not XML");
  const std::string sigs_path =
      strip_slash(ofd.document_element().child("ofd:DocBody").child("ofd:Signatures").text().as_string());
  if (sigs_path.empty() || !files.count(sigs_path)) return bad("the document is not signed");
  pugi::xml_document sigs;
  sigs.load_string(files[sigs_path].c_str());
  const std::string sig_path =
      strip_slash(sigs.document_element().child("ofd:Signature").attribute("BaseLoc").as_string());
  if (!files.count(sig_path)) return bad("no " + sig_path);
  const std::string& signature_xml = files[sig_path];
  pugi::xml_document sig;
  if (!sig.load_string(signature_xml.c_str())) return bad("Signature.xml is not XML");
  auto info = sig.document_element().child("ofd:SignedInfo");
  const std::string value_path = strip_slash(sig.document_element().child("ofd:SignedValue").text().as_string());
  if (!files.count(value_path)) return bad("no signed value");
  if (std::string(info.child("ofd:References").attribute("CheckMethod").as_string()) != "1.2.156.10197.1.401")
    return bad("references are not SM3");
  std::set<std::string> covered;
  for (auto r : info.child("ofd:References").children("ofd:Reference")) {
    const std::string path = strip_slash(r.attribute("FileRef").as_string());
    auto it = files.find(path);
    if (it == files.end()) return bad("a signed file is missing: " + path);
    if (base64_encode(sm3(it->second)) != r.child("ofd:CheckValue").text().as_string())
      return bad("file changed after signing: " + path);
    covered.insert(path);
  }
  for (const auto& [path, data] : files)
    if (path != sig_path && path != value_path && !covered.count(path)) return bad("file not covered by the signature: " + path);
  auto seal = ses_verify(files[value_path], signature_xml);
  if (!seal.ok()) return bad(seal.error().message);
  return OfdVerified{std::move(*seal), std::move(files)};
}

}  // namespace certledger::render
