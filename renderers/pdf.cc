#include "renderers/pdf.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <podofo/podofo.h>

#include <cmath>

#include "ledger/util/utf8.h"
#include "projections/cert_view.h"
#include "renderers/assets.h"

namespace certledger::render {

using namespace PoDoFo;
using nlohmann::json;

std::string display_date(std::string_view iso) {
  if (iso.size() != 10) return std::string(iso);
  return std::string(iso.substr(0, 4)) + "年" + std::string(iso.substr(5, 2)) + "月" + std::string(iso.substr(8, 2)) + "日";
}

std::vector<std::string> display_lines(const domain::FieldSpec& spec, const json& v) {
  if (spec.type == domain::FieldType::text_list && v.is_array()) {
    std::vector<std::string> out;
    for (const auto& x : v) out.push_back(x.get<std::string>());
    return out;
  }
  if (!v.is_string()) return {v.dump()};
  if (spec.type == domain::FieldType::date) return {display_date(v.get<std::string>())};
  return {v.get<std::string>()};
}

namespace {

constexpr double kA4Short = 595.28, kA4Long = 841.89;

struct Ink {
  double r, g, b;
};
constexpr Ink kText{0.1, 0.1, 0.12}, kLabel{0.30, 0.30, 0.34}, kFrame{0.55, 0.38, 0.16}, kSeal{0.86, 0.08, 0.08};

PdfString U(const std::string& s) { return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str())); }

// A CID font over the in-memory TTF, subset on write.
class Fonts {
 public:
  Fonts(PdfMemDocument& doc, const std::string& ttf) {
    thread_local FT_Library lib = [] {
      FT_Library l;
      FT_Init_FreeType(&l);
      return l;
    }();
    auto* metrics = new PdfFontMetricsFreetype(&lib, ttf.data(), static_cast<unsigned>(ttf.size()), false, "CLWQYZ+");
    // Identity-H encoding makes it a CIDFontType2 with a ToUnicode map, so
    // text extracts exactly; subsetting keeps the file small.
    font_.reset(PdfFontFactory::CreateFontObject(metrics, ePdfFont_Embedded | ePdfFont_Subsetting,
                                                 new PdfIdentityEncoding(0, 0xffff, true), &doc.GetObjects()));
    if (!font_) PODOFO_RAISE_ERROR_INFO(ePdfError_InvalidFontFile, "cannot create the CJK font");
  }
  PdfFont* get() { return font_.get(); }
  void finish() { font_->EmbedSubsetFont(); }

 private:
  std::unique_ptr<PdfFont> font_;
};

class Page {
 public:
  Page(PdfMemDocument& doc, Fonts& fonts, bool landscape)
      : doc_(doc), fonts_(fonts), w_(landscape ? kA4Long : kA4Short), h_(landscape ? kA4Short : kA4Long) {
    page_ = doc.CreatePage(PdfRect(0, 0, w_, h_));
    p_.SetPage(page_);
    p_.SetFont(fonts_.get());
  }
  ~Page() { finish(); }
  void finish() {
    if (page_) {
      p_.FinishPage();
      page_ = nullptr;
    }
  }
  PdfPainter& painter() { return p_; }
  PdfPage* pdf_page() { return page_; }
  double w() const { return w_; }
  double h() const { return h_; }

  double width(const std::string& s, double size) {
    fonts_.get()->SetFontSize(static_cast<float>(size));
    double wd = 0;
    for (char32_t c : utf8_decode(s)) wd += fonts_.get()->GetFontMetrics()->UnicodeCharWidth(static_cast<unsigned short>(c));
    return wd;
  }
  void text(double x, double y, const std::string& s, double size, Ink ink = kText) {
    fonts_.get()->SetFontSize(static_cast<float>(size));
    p_.SetFont(fonts_.get());
    p_.SetColor(ink.r, ink.g, ink.b);
    p_.DrawText(x, y, U(s));
  }
  void centered(double cx, double y, const std::string& s, double size, Ink ink = kText) {
    text(cx - width(s, size) / 2, y, s, size, ink);
  }
  // Splits s into lines no wider than max at this size.
  std::vector<std::string> wrap(const std::string& s, double size, double max) {
    std::vector<std::string> lines;
    std::string cur;
    double cw = 0;
    for (char32_t c : utf8_decode(s)) {
      std::string ch = utf8_encode(c);
      double dw = width(ch, size);
      if (cw + dw > max && !cur.empty()) {
        lines.push_back(cur);
        cur.clear();
        cw = 0;
      }
      cur += ch;
      cw += dw;
    }
    if (!cur.empty() || lines.empty()) lines.push_back(cur);
    return lines;
  }
  // Rotated single glyph around its own origin (for the seal's arc).
  void glyph(double x, double y, double angle, const std::string& g, double size, Ink ink) {
    fonts_.get()->SetFontSize(static_cast<float>(size));
    p_.SetFont(fonts_.get());
    p_.Save();
    p_.SetColor(ink.r, ink.g, ink.b);
    double c = std::cos(angle), s = std::sin(angle);
    p_.SetTransformationMatrix(c, s, -s, c, x, y);
    p_.DrawText(-width(g, size) / 2, 0, U(g));
    p_.Restore();
  }

 private:
  PdfMemDocument& doc_;
  Fonts& fonts_;
  double w_, h_;
  PdfPage* page_ = nullptr;
  PdfPainter p_;
};

void draw_frame(Page& pg) {
  auto& p = pg.painter();
  p.Save();
  p.SetStrokingColor(kFrame.r, kFrame.g, kFrame.b);
  p.SetStrokeWidth(3.0);
  p.Rectangle(18, 18, pg.w() - 36, pg.h() - 36);
  p.Stroke();
  p.SetStrokeWidth(0.8);
  p.Rectangle(26, 26, pg.w() - 52, pg.h() - 52);
  p.Stroke();
  p.Restore();
}

// QR with its 4-module quiet zone; dark runs merged per row.
void draw_qr(Page& pg, const QrMatrix& qr, double x, double y, double side) {
  auto& p = pg.painter();
  const int n = qr.size + 8;
  const double m = side / n;
  p.Save();
  p.SetColor(1, 1, 1);
  p.Rectangle(x, y, side, side);
  p.Fill();
  p.SetColor(0, 0, 0);
  for (int row = 0; row < qr.size; ++row) {
    int col = 0;
    while (col < qr.size) {
      if (!qr.at(col, row)) {
        ++col;
        continue;
      }
      int start = col;
      while (col < qr.size && qr.at(col, row)) ++col;
      p.Rectangle(x + (start + 4) * m, y + side - (row + 5) * m, (col - start) * m, m);
    }
  }
  p.Fill();
  p.Restore();
}

// The electronic seal: double ring, five-pointed star, the authority's name
// along the upper arc and 电子证照专用章 below the star.
void draw_seal(Page& pg, double cx, double cy, double r, const std::string& name) {
  auto& p = pg.painter();
  p.Save();
  p.SetStrokingColor(kSeal.r, kSeal.g, kSeal.b);
  p.SetColor(kSeal.r, kSeal.g, kSeal.b);
  p.SetStrokeWidth(r * 0.06);
  p.Circle(cx, cy, r);
  p.Stroke();
  p.SetStrokeWidth(r * 0.015);
  p.Circle(cx, cy, r * 0.92);
  p.Stroke();
  const double sr = r * 0.26;
  for (int i = 0; i < 10; ++i) {
    double a = M_PI / 2 + i * M_PI / 5, rr = i % 2 ? sr * 0.382 : sr;
    double x = cx + rr * std::cos(a), y = cy + rr * std::sin(a);
    if (i == 0) p.MoveTo(x, y);
    else p.LineTo(x, y);
  }
  p.ClosePath();
  p.Fill();
  p.Restore();
  auto chars = utf8_decode(name);
  const size_t n = chars.size();
  const double span = std::min(M_PI * 1.25, 0.30 * static_cast<double>(n));  // radians covered by the name
  const double size = std::min(r * 0.30, r * 0.78 * span / static_cast<double>(std::max<size_t>(n, 1)) * 1.15);
  for (size_t i = 0; i < n; ++i) {
    double a = M_PI / 2 + span / 2 - (static_cast<double>(i) + 0.5) * span / static_cast<double>(n);
    double rr = r * 0.72;
    pg.glyph(cx + rr * std::cos(a), cy + rr * std::sin(a), a - M_PI / 2, utf8_encode(chars[i]), size, kSeal);
  }
  pg.centered(cx, cy - r * 0.55, "电子证照专用章", r * 0.16, kSeal);
}

std::vector<std::string> title_lines(const std::string& name) {
  const std::string tail = "安全生产知识考核合格证书";
  if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
    return {name.substr(0, name.size() - tail.size()), tail};
  const std::string tail2 = "岗位培训考核合格证书";
  if (name.size() > tail2.size() && name.compare(name.size() - tail2.size(), tail2.size(), tail2) == 0)
    return {name.substr(0, name.size() - tail2.size()), tail2};
  return {name};
}

struct Row {
  std::string label;
  std::vector<std::string> lines;
};

std::vector<Row> field_rows(const DocumentInput& in) {
  const auto& k = *in.kind;
  std::vector<Row> rows;
  json shown = in.masked ? projections::public_fields(k, in.fields) : in.fields;
  auto push = [&](const domain::FieldSpec& spec) {
    auto it = shown.find(std::string(spec.name));
    if (it == shown.end() || it->is_null()) return;
    rows.push_back({std::string(spec.label), display_lines(spec, *it)});
  };
  if (const auto* num = k.field("number")) push(*num);
  for (const auto& spec : k.fields) {
    if (spec.name == "number" || spec.name == "photo" || spec.name == "issue_date") continue;
    if (spec.name == "valid_from" && k.holder == domain::HolderType::organisation) continue;
    if (spec.name == "valid_until" && k.holder == domain::HolderType::organisation) {
      std::string from = shown.value("valid_from", ""), until = shown.value("valid_until", "");
      rows.push_back({"有效期", {display_date(from) + " 至 " + display_date(until)}});
      continue;
    }
    push(spec);
  }
  return rows;
}

}  // namespace

Result<std::string> render_pdf(const DocumentInput& in, const SigningIdentity& signer, UnixMillis signing_time) {
  if (!in.kind) return make_error(Errc::invalid_argument, "document without a kind");
  CL_ASSIGN(auto font_bytes, cjk_font());
  CL_ASSIGN(QrMatrix qr, qr_encode(in.verify_url));
  const auto& k = *in.kind;
  const bool person = k.holder == domain::HolderType::person;
  try {
    PdfMemDocument doc;
    Fonts fonts(doc, *font_bytes);
    const bool landscape = k.orientation == domain::Orientation::landscape;
    auto first = std::make_unique<Page>(doc, fonts, landscape);
    Page* pg = first.get();
    std::vector<std::unique_ptr<Page>> more;
    draw_frame(*pg);

    // Title.
    const double W = pg->w(), H = pg->h(), left = landscape ? 70 : 60, right = W - (landscape ? 70 : 60);
    double y = H - (landscape ? 80 : 95);
    for (const auto& line : title_lines(std::string(k.name))) {
      double size = 26;
      while (pg->width(line, size) > right - left && size > 14) size -= 1;
      pg->centered(W / 2, y, line, size);
      y -= size * 1.35;
    }
    pg->centered(W / 2, y + 4, "（电子证书）", 11, kLabel);
    y -= 34;

    // Photo box (personnel) on the right of the fields.
    double fields_right = right;
    if (person) {
      const double pw = 96, ph = 128, px = right - pw, py = y - ph + 10;
      auto& p = pg->painter();
      p.Save();
      p.SetStrokingColor(kLabel.r, kLabel.g, kLabel.b);
      p.SetStrokeWidth(0.6);
      p.Rectangle(px - 2, py - 2, pw + 4, ph + 4);
      p.Stroke();
      p.Restore();
      if (in.photo && !in.masked) {
        PdfImage img(&doc);
        const auto* data = reinterpret_cast<const unsigned char*>(in.photo->data());
        if (in.photo->compare(0, 4, "\x89PNG") == 0) img.LoadFromPngData(data, static_cast<pdf_long>(in.photo->size()));
        else img.LoadFromJpegData(data, static_cast<pdf_long>(in.photo->size()));
        pg->painter().DrawImage(px, py, &img, pw / img.GetWidth(), ph / img.GetHeight());
      } else {
        pg->centered(px + pw / 2, py + ph / 2, "照片", 12, kLabel);
      }
      fields_right = px - 16;
    }

    // Fields: label column, wrapped values; a continuation page if needed.
    const double size = landscape ? 14 : 13.5, lead = size * 1.75;
    const double bottom = landscape ? 200 : 245;
    const auto rows = field_rows(in);
    double label_w = 0;
    for (const auto& row : rows) label_w = std::max(label_w, pg->width(row.label + "：", size));
    label_w += 10;
    for (const auto& row : rows) {
      std::vector<std::string> lines;
      for (const auto& l : row.lines)
        for (auto& w : pg->wrap(l, size, fields_right - left - label_w)) lines.push_back(w);
      if (y - lead * static_cast<double>(lines.size()) < bottom && lines.size() < 30) {
        more.push_back(std::make_unique<Page>(doc, fonts, landscape));
        pg = more.back().get();
        draw_frame(*pg);
        pg->centered(W / 2, H - 80, std::string(k.name) + "（续页）", 18);
        y = H - 130;
        fields_right = right;
      }
      pg->text(left, y, row.label + "：", size, kLabel);
      for (const auto& l : lines) {
        pg->text(left + label_w, y, l, size);
        y -= lead;
        if (y < bottom - lead * 3) {  // a list longer than a page: keep going on the next
          more.push_back(std::make_unique<Page>(doc, fonts, landscape));
          pg = more.back().get();
          draw_frame(*pg);
          pg->centered(W / 2, H - 80, std::string(k.name) + "（续页）", 18);
          y = H - 130;
        }
      }
    }
    Page& last = *pg;
    // Statement (personnel) under the fields.
    if (!k.statement.empty()) {
      std::string stmt = "本电子证书由" + in.authority.name + "核发。" + std::string(k.statement);
      double sy = std::min(y - 6, bottom + 40);
      for (const auto& l : last.wrap(stmt, 11, right - left)) {
        last.text(left, sy, l, 11, kLabel);
        sy -= 17;
      }
    }

    // QR and its caption, bottom left.
    const double qr_side = landscape ? 118 : 124, qx = left, qy = 78;
    draw_qr(last, qr, qx, qy, qr_side);
    last.centered(qx + qr_side / 2, qy - 16, person ? "实时数据，扫码验证" : "扫码查验，实时数据", 10.5, kLabel);

    // Issuing authority and date, bottom right, under the seal.
    const std::string issued = display_date(in.fields.value("issue_date", ""));
    const std::string line1 = std::string(person ? "发证单位：" : "发证机关：") + in.authority.name;
    const std::string line2 = std::string(person ? "发证时间：" : "发证日期：") + issued;
    const double block = std::max(last.width(line1, 13), last.width(line2, 13));
    const double bx = right - block;
    last.text(bx, qy + 66, line1, 13);
    last.text(bx, qy + 40, line2, 13);
    {
      PdfExtGState gs(&doc);
      gs.SetFillOpacity(0.82f);
      gs.SetStrokeOpacity(0.82f);
      last.painter().Save();
      last.painter().SetExtGState(&gs);
      // Over the issuing lines, centred on the authority's name.
      draw_seal(last, right - last.width(in.authority.name, 13) / 2, qy + 58, 58, in.authority.name);
      last.painter().Restore();
    }

    // Footer: identifiers and version.
    const std::string footer = "电子证照标识：" + in.elicense;
    double fsize = 8.5;
    while (last.width(footer, fsize) > right - left && fsize > 6) fsize -= 0.25;
    last.text(left, 44, footer, fsize, kLabel);
    last.text(left, 33, "证书版本：第 " + std::to_string(in.version) + " 版　证照ID：" + in.certificate_id +
                            (in.masked ? "　公开查验副本（个人信息已脱敏）" : ""), fsize, kLabel);

    // Finish pages, embed the font subset, then sign.
    for (auto& m : more) m->finish();
    first->finish();
    fonts.finish();
    PdfInfo* info = doc.GetInfo();
    info->SetTitle(U(std::string(k.name) + " " + in.fields.value("number", "")));
    info->SetAuthor(U(in.authority.name));
    info->SetCreator(U("certledger"));

    PdfAcroForm* form = doc.GetAcroForm();
    form->GetObject()->GetDictionary().AddKey(PdfName("SigFlags"), PdfObject(static_cast<pdf_int64>(3)));
    PdfPage* sig_page = doc.GetPage(0);
    PdfAnnotation* annot = sig_page->CreateAnnotation(ePdfAnnotation_Widget, PdfRect(0, 0, 0, 0));
    annot->SetFlags(ePdfAnnotationFlags_Invisible | ePdfAnnotationFlags_Hidden);
    PdfSignatureField field(annot, form, &doc);
    field.SetFieldName(PdfString("CertledgerSignature"));
    field.SetSignatureReason(U("电子证照签发：" + std::string(k.name)));
    field.SetSignatureLocation(U(in.authority.name));
    field.SetSignatureDate(PdfDate(static_cast<time_t>(signing_time / 1000)));
    PdfRefCountedBuffer buffer;
    PdfOutputDevice device(&buffer);
    PdfSignOutputDevice out(&device);
    out.SetSignatureSize(8192);
    field.SetSignature(*out.GetSignatureBeacon());
    doc.Write(&out);
    if (!out.HasSignaturePosition()) return make_error(Errc::internal, "PDF: no signature placeholder written");
    out.AdjustByteRange();
    out.Seek(0);
    std::string signed_bytes;
    char chunk[65536];
    size_t n;
    while ((n = out.ReadForSignature(chunk, sizeof chunk)) > 0) signed_bytes.append(chunk, n);
    CL_ASSIGN(std::string cms, cms_sign_detached(signer, signed_bytes));
    if (cms.size() > 8192) return make_error(Errc::internal, "PDF signature larger than its placeholder");
    out.SetSignature(PdfData(cms.data(), cms.size()));
    out.Flush();
    return std::string(buffer.GetBuffer(), device.GetLength());
  } catch (const PdfError& e) {
    return make_error(Errc::internal, std::string("PDF: ") + PdfError::ErrorName(e.GetError()));
  }
}

}  // namespace certledger::render
