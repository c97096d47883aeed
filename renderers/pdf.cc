#include "renderers/pdf.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <podofo/podofo.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "ledger/util/hash.h"
#include "projections/cert_view.h"
#include "renderers/assets.h"
#include "renderers/layout.h"

namespace certledger::render {

using namespace PoDoFo;
using nlohmann::json;

std::string display_date(std::string_view iso) {
  if (iso.size() != 10) return std::string(iso);
  return std::string(iso.substr(0, 4)) + "年" + std::string(iso.substr(5, 2)) + "月" + std::string(iso.substr(8, 2)) +
         "日";
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

PdfString U(const std::string& s) { return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str())); }

// A CID font (Identity-H, so text extracts exactly through its ToUnicode
// map) over a TrueType subset made by subset_ttf before the first glyph is
// placed: PoDoFo embeds those few kilobytes as they are instead of keeping
// the 11 MB face in memory and writing its full tables per document.
class Fonts {
 public:
  Fonts(PdfMemDocument& doc, const std::string& subset, const std::set<char32_t>& used) {
    // One FreeType library per thread, released when the thread ends (the
    // fonts using it live only as long as one document).
    struct Library {
      FT_Library lib = nullptr;
      Library() { FT_Init_FreeType(&lib); }
      ~Library() {
        if (lib) FT_Done_FreeType(lib);
      }
    };
    thread_local Library ft;
    auto* metrics = new PdfFontMetricsFreetype(&ft.lib, subset.data(), static_cast<unsigned>(subset.size()), false);
    // The encoding's range bounds what PoDoFo scans for the widths and the
    // ToUnicode map; the code points used are all there is.
    const int first = used.empty() ? 0 : static_cast<int>(*used.begin());
    const int last = used.empty() ? 0 : static_cast<int>(std::min<char32_t>(*used.rbegin(), 0xffff));
    font_.reset(PdfFontFactory::CreateFontObject(metrics, ePdfFont_Embedded, new PdfIdentityEncoding(first, last, true),
                                                 &doc.GetObjects()));
    if (!font_) PODOFO_RAISE_ERROR_INFO(ePdfError_InvalidFontFile, "cannot create the CJK font");
    name_subset(subset);
  }
  PdfFont* get() { return font_.get(); }

 private:
  // A subset font's name carries a six-letter tag (ISO 32000-1 9.6.4), here
  // from the subset's SHA-256, so readers do not take it for the full font.
  void name_subset(const std::string& subset) {
    const Hash256 digest = sha256(subset);
    std::string tag;
    for (int i = 0; i < 6; ++i) tag += static_cast<char>('A' + digest[static_cast<size_t>(i)] % 26);
    PdfDictionary& type0 = font_->GetObject()->GetDictionary();
    const PdfName name(tag + "+" + type0.GetKey("BaseFont")->GetName().GetName());
    type0.AddKey("BaseFont", name);
    auto* owner = font_->GetObject()->GetOwner();
    PdfObject* cid = owner->GetObject(type0.GetKey("DescendantFonts")->GetArray()[0].GetReference());
    cid->GetDictionary().AddKey("BaseFont", name);
    owner->GetObject(cid->GetDictionary().GetKey("FontDescriptor")->GetReference())
        ->GetDictionary()
        .AddKey("FontName", name);
  }
  std::unique_ptr<PdfFont> font_;
};

class PdfCanvas final : public Canvas {
 public:
  PdfCanvas(PdfMemDocument& doc, Fonts& fonts, const TtfMetrics& metrics)
      : doc_(doc), fonts_(fonts), metrics_(metrics) {}
  ~PdfCanvas() override { finish(); }
  void finish() {
    if (page_) p_.FinishPage();
    page_ = nullptr;
  }

  void begin_page(double w, double h) override {
    finish();
    page_ = doc_.CreatePage(PdfRect(0, 0, w, h));
    p_.SetPage(page_);
    p_.SetFont(fonts_.get());
  }
  // The same measure as the first pass, so both passes lay out alike.
  double width(const std::string& s, double size) override { return metrics_.width(s, size); }
  void text(double x, double y, const std::string& s, double size, Ink ink) override {
    fonts_.get()->SetFontSize(static_cast<float>(size));
    p_.SetFont(fonts_.get());
    p_.SetColor(ink.r, ink.g, ink.b);
    p_.DrawText(x, y, U(s));
  }
  void glyph(double x, double y, double angle, const std::string& g, double size, Ink ink) override {
    fonts_.get()->SetFontSize(static_cast<float>(size));
    p_.SetFont(fonts_.get());
    p_.Save();
    p_.SetColor(ink.r, ink.g, ink.b);
    double c = std::cos(angle), s = std::sin(angle);
    p_.SetTransformationMatrix(c, s, -s, c, x, y);
    p_.DrawText(-width(g, size) / 2, 0, U(g));
    p_.Restore();
  }
  void stroke_rect(double x, double y, double w, double h, double line, Ink ink) override {
    p_.Save();
    p_.SetStrokingColor(ink.r, ink.g, ink.b);
    p_.SetStrokeWidth(line);
    p_.Rectangle(x, y, w, h);
    p_.Stroke();
    p_.Restore();
  }
  void stroke_circle(double cx, double cy, double r, double line, Ink ink) override {
    p_.Save();
    p_.SetStrokingColor(ink.r, ink.g, ink.b);
    p_.SetStrokeWidth(line);
    p_.Circle(cx, cy, r);
    p_.Stroke();
    p_.Restore();
  }
  void fill_polygon(const std::vector<std::pair<double, double>>& pts, Ink ink) override {
    if (pts.empty()) return;
    p_.Save();
    p_.SetColor(ink.r, ink.g, ink.b);
    p_.MoveTo(pts[0].first, pts[0].second);
    for (size_t i = 1; i < pts.size(); ++i) p_.LineTo(pts[i].first, pts[i].second);
    p_.ClosePath();
    p_.Fill();
    p_.Restore();
  }
  // Vector modules, dark runs merged per row, 4-module quiet zone.
  void qr(const QrMatrix& qr, double x, double y, double side) override {
    const int n = qr.size + 8;
    const double m = side / n;
    p_.Save();
    p_.SetColor(1, 1, 1);
    p_.Rectangle(x, y, side, side);
    p_.Fill();
    p_.SetColor(0, 0, 0);
    for (int row = 0; row < qr.size; ++row) {
      int col = 0;
      while (col < qr.size) {
        if (!qr.at(col, row)) {
          ++col;
          continue;
        }
        int start = col;
        while (col < qr.size && qr.at(col, row)) ++col;
        p_.Rectangle(x + (start + 4) * m, y + side - (row + 5) * m, (col - start) * m, m);
      }
    }
    p_.Fill();
    p_.Restore();
  }
  void image(const std::string& bytes, double x, double y, double w, double h) override {
    PdfImage img(&doc_);
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.compare(0, 4, "\x89PNG") == 0) img.LoadFromPngData(data, static_cast<pdf_long>(bytes.size()));
    else img.LoadFromJpegData(data, static_cast<pdf_long>(bytes.size()));
    p_.DrawImage(x, y, &img, w / img.GetWidth(), h / img.GetHeight());
  }
  void push_opacity(double alpha) override {
    auto gs = std::make_unique<PdfExtGState>(&doc_);
    gs->SetFillOpacity(static_cast<float>(alpha));
    gs->SetStrokeOpacity(static_cast<float>(alpha));
    p_.Save();
    p_.SetExtGState(gs.get());
    states_.push_back(std::move(gs));
  }
  void pop_opacity() override { p_.Restore(); }

 private:
  PdfMemDocument& doc_;
  Fonts& fonts_;
  const TtfMetrics& metrics_;
  PdfPage* page_ = nullptr;
  PdfPainter p_;
  std::vector<std::unique_ptr<PdfExtGState>> states_;
};

}  // namespace

Result<std::string> render_pdf(const DocumentInput& in, const SigningIdentity& signer, UnixMillis signing_time) {
  if (!in.kind) return make_error(Errc::invalid_argument, "document without a kind");
  CL_ASSIGN(auto font_bytes, cjk_font());
  CL_ASSIGN(const TtfMetrics* metrics, cjk_metrics());
  CL_ASSIGN(QrMatrix qr, qr_encode(in.verify_url));
  const auto& k = *in.kind;
  // First pass: which characters the document uses, for the font subset.
  CodePointCanvas chars(*metrics);
  lay_out(in, qr, chars);
  CL_ASSIGN(const std::string subset, subset_ttf(*font_bytes, chars.used()));
  try {
    PdfMemDocument doc;
    Fonts fonts(doc, subset, chars.used());
    {
      PdfCanvas canvas(doc, fonts, *metrics);
      lay_out(in, qr, canvas);
    }
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
