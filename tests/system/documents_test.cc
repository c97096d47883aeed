// Documents, checked with real tools for every kind: pdftotext extracts every
// field value exactly as printed, pdffonts shows the CJK font embedded and
// subset, zbarimg decodes this version's verify URL from a 150 dpi render,
// pdfsig validates the signature and names the authority, and a byte changed
// after signing makes pdfsig report it invalid. The renders are kept as test
// artifacts (build/artifacts/documents/) to look at.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "ops/demo/samples.h"
#include "ops/common/setup.h"
#include "projections/queries.h"
#include "ledger/util/encoding.h"
#include "renderers/document.h"
#include "renderers/layout.h"
#include "renderers/ofd.h"
#include "renderers/pdf.h"

#include <pugixml.hpp>

namespace certledger {
namespace {

namespace fs = std::filesystem;

std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string squash(std::string s) {  // wrapped lines join without separators
  std::string out;
  for (char c : s)
    if (c != '\n' && c != ' ' && c != '\f') out += c;
  return out;
}

// Every field value of the version, as the documents print it, is in text
// (squashed); returns how many values were looked for.
int expect_every_field(const std::string& text, const domain::KindDescriptor& kind, const nlohmann::json& fields) {
  int checked = 0;
  for (const auto& spec : kind.fields) {
    if (spec.type == domain::FieldType::photo || !fields.contains(std::string(spec.name))) continue;
    for (const auto& line : render::display_lines(spec, fields[std::string(spec.name)])) {
      EXPECT_NE(text.find(squash(line)), std::string::npos) << spec.name << " = " << line;
      ++checked;
    }
  }
  return checked;
}

class Documents : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("certledger-docs-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    ops::OpenOptions o;
    o.data_dir = dir_.string();
    o.create = true;
    auto l = ops::open_data_dir(o);
    ASSERT_TRUE(l.ok());
    ledger_ = std::move(*l);
    auto lines = ops::run_demo(*ledger_.ledger, "https://verify.example.gov.cn", 7);
    ASSERT_TRUE(lines.ok()) << lines.error().to_string();
    demo_ = *lines;
    art_ =
        fs::path(std::getenv("CERTLEDGER_ARTIFACTS") ? std::getenv("CERTLEDGER_ARTIFACTS") : "artifacts") / "documents";
    fs::create_directories(art_);
  }
  static void TearDownTestSuite() {
    ledger_.ledger.reset();
    fs::remove_all(dir_);
  }
  static inline fs::path dir_, art_;
  static inline ops::OpenLedger ledger_;
  static inline std::vector<ops::DemoLine> demo_;
};

TEST_F(Documents, EveryKindRendersSignedWithItsFieldsFontAndQr) {
  if (!sh("for t in pdftotext pdfsig pdffonts zbarimg pdftoppm; do command -v $t >/dev/null || echo missing; done")
           .empty())
    GTEST_SKIP() << "poppler-utils and zbar-tools are needed";
  render::DocumentService docs(*ledger_.ledger, "https://verify.example.gov.cn");
  std::set<std::string> done;
  for (const auto& d : demo_) {
    if (!done.insert(d.kind).second) continue;
    SCOPED_TRACE(d.kind);
    auto view = projections::Reader(ledger_.ledger->store()).certificate(d.certificate_id);
    ASSERT_TRUE(view.ok());
    const auto& v = view->versions.back();
    auto pdf = docs.pdf(d.certificate_id, v.version, false);
    ASSERT_TRUE(pdf.ok()) << pdf.error().to_string();
    const fs::path file = art_ / (d.kind + ".pdf");
    std::ofstream(file, std::ios::binary).write(pdf->data(), static_cast<std::streamsize>(pdf->size()));

    // Every field value, as printed.
    const std::string text = squash(sh("pdftotext -enc UTF-8 " + file.string() + " -"));
    const auto* kind = domain::find_kind(d.kind);
    // The staff copy prints the personal data opened from its seal.
    auto opened = projections::opened_fields(*view, &v, ledger_.ledger->vault());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_GE(expect_every_field(text, *kind, *opened), 5);
    if (kind->holder == domain::HolderType::person) {
      EXPECT_NE(opened->value("id_number", ""), nlohmann::json::parse(v.fields_json).value("id_number", ""));
      EXPECT_NE(text.find(opened->value("id_number", "")), std::string::npos) << "the full 身份证号 on the staff copy";
    }
    EXPECT_NE(text.find(squash(std::string(kind->name))), std::string::npos);
    EXPECT_NE(text.find(v.elicense), std::string::npos) << "e-license identifier";
    EXPECT_NE(text.find("第" + std::to_string(v.version) + "版"), std::string::npos) << "version";
    if (kind->holder == domain::HolderType::person) {
      EXPECT_NE(text.find("实时数据，扫码验证"), std::string::npos);
    }

    const std::string fonts = sh("pdffonts " + file.string());
    EXPECT_NE(fonts.find("CID TrueType"), std::string::npos) << fonts;
    EXPECT_NE(fonts.find("yes yes yes"), std::string::npos) << "embedded, subset, unicode: " << fonts;
    EXPECT_LT(pdf->size(), 400u * 1024) << "the subset font keeps documents small";

    sh("pdftoppm -r 150 -png " + file.string() + " " + (art_ / d.kind).string());
    const std::string png = (art_ / (d.kind + "-1.png")).string();
    const std::string qr = sh("zbarimg -q --raw " + png);
    EXPECT_NE(qr.find("https://verify.example.gov.cn/v/" + v.token), std::string::npos) << qr;

    const std::string sig = sh("pdfsig " + file.string());
    EXPECT_NE(sig.find("Signature is Valid."), std::string::npos) << sig;
    auto authority = ledger_.ledger->authority(view->state.authority);
    EXPECT_NE(sig.find("Common Name: " + authority->name), std::string::npos) << sig;

    // One byte changed inside the signed range.
    std::string bad = *pdf;
    auto pos = bad.find("/Contents", bad.size() / 10);
    ASSERT_NE(pos, std::string::npos);
    size_t flip = bad.size() / 3;
    bad[flip] = static_cast<char>(bad[flip] ^ 0x20);
    const fs::path tampered = art_ / (d.kind + "-tampered.pdf");
    std::ofstream(tampered, std::ios::binary).write(bad.data(), static_cast<std::streamsize>(bad.size()));
    const std::string bad_sig = sh("pdfsig " + tampered.string());
    EXPECT_EQ(bad_sig.find("Signature is Valid."), std::string::npos) << bad_sig;
  }
  EXPECT_EQ(done.size(), domain::all_kinds().size());
}

// The text of every TextCode on the pages of an OFD, in order.
std::string ofd_text(const std::map<std::string, std::string>& files) {
  std::string text;
  for (const auto& [path, data] : files) {
    if (path.find("/Pages/") == std::string::npos) continue;
    pugi::xml_document d;
    d.load_string(data.c_str());
    for (auto x : d.select_nodes("//ofd:TextCode")) text += x.node().text().as_string();
  }
  return squash(text);
}

TEST_F(Documents, OfdKindsRenderSignedOfdWithEveryFieldAndTheSeal) {
  render::DocumentService docs(*ledger_.ledger, "https://verify.example.gov.cn");
  std::set<std::string> done;
  for (const auto& d : demo_) {
    const auto* kind = domain::find_kind(d.kind);
    if (!kind || !done.insert(d.kind).second) continue;
    SCOPED_TRACE(d.kind);
    auto view = projections::Reader(ledger_.ledger->store()).certificate(d.certificate_id);
    ASSERT_TRUE(view.ok());
    const auto& v = view->versions.back();
    auto ofd = docs.ofd(d.certificate_id, v.version, false);
    if (!kind->ofd) {
      ASSERT_FALSE(ofd.ok());
      EXPECT_EQ(ofd.error().code, Errc::not_found) << "PDF-only kinds say so";
      continue;
    }
    ASSERT_TRUE(ofd.ok()) << ofd.error().to_string();
    std::ofstream(art_ / (d.kind + ".ofd"), std::ios::binary)
        .write(ofd->data(), static_cast<std::streamsize>(ofd->size()));
    auto checked = render::verify_ofd(*ofd);
    ASSERT_TRUE(checked.ok()) << checked.error().to_string();
    auto authority = ledger_.ledger->authority(view->state.authority);
    EXPECT_EQ(checked->seal.seal_name, authority->name);
    EXPECT_EQ(checked->seal.signer_subject, authority->name);
    EXPECT_EQ(checked->seal.picture_type, "ofd");
    EXPECT_EQ(checked->seal.picture.compare(0, 2, "PK"), 0) << "the seal picture is itself an OFD package";
    for (const char* f : {"OFD.xml", "Doc_0/Document.xml", "Doc_0/PublicRes.xml", "Doc_0/Pages/Page_0/Content.xml",
                          "Doc_0/Res/font_1.ttf", "Doc_0/Signs/Signatures.xml"})
      EXPECT_TRUE(checked->files.count(f)) << f;
    EXPECT_LT(ofd->size(), 400u * 1024);

    const std::string text = ofd_text(checked->files);
    auto opened = projections::opened_fields(*view, &v, ledger_.ledger->vault());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_GE(expect_every_field(text, *kind, *opened), 5);
    EXPECT_NE(text.find(v.elicense), std::string::npos);
    EXPECT_NE(text.find("第" + std::to_string(v.version) + "版"), std::string::npos);
    // The QR image decodes to this version's URL.
    ASSERT_TRUE(checked->files.count("Doc_0/DocumentRes.xml"));
    if (!sh("command -v zbarimg").empty()) {
      int qrs = 0;  // PNG images whose QR code is this version's URL
      for (const auto& [path, data] : checked->files) {
        if (path.rfind("Doc_0/Res/image_", 0) != 0 || path.find(".png") == std::string::npos) continue;
        const fs::path png = art_ / (d.kind + "-ofd-image.png");
        std::ofstream(png, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
        if (sh("zbarimg -q --raw " + png.string()).find("https://verify.example.gov.cn/v/" + v.token) !=
            std::string::npos)
          ++qrs;
      }
      EXPECT_EQ(qrs, 1);
    }

    // Changed content: the digest of that file no longer matches.
    for (const std::string victim : {"Doc_0/Pages/Page_0/Content.xml", "Doc_0/Signs/Sign_0/Signature.xml"}) {
      auto files = checked->files;
      auto& bytes = files[victim];
      const auto at = bytes.find("</ofd:");
      ASSERT_NE(at, std::string::npos);
      bytes = bytes.substr(0, at) + std::string(1, ' ') + bytes.substr(at);
      auto rezipped = render::ofd_container({files.begin(), files.end()}, v.time);
      ASSERT_TRUE(rezipped.ok());
      auto bad = render::verify_ofd(*rezipped);
      ASSERT_FALSE(bad.ok()) << victim;
      EXPECT_EQ(bad.error().code, Errc::corruption);
      if (victim.find("Content") != std::string::npos) {
        EXPECT_NE(bad.error().message.find(victim), std::string::npos) << bad.error().message;
      } else {
        EXPECT_NE(bad.error().message.find("dataHash"), std::string::npos) << bad.error().message;
      }
    }
  }
  EXPECT_TRUE(done.count("construction_enterprise") && done.count("safety_license"));
}

// A scope list longer than a page wraps and continues on 续页 pages, in PDF
// and OFD alike, and nothing of it is lost: every item is in the extracted
// text (the PDF's font subset is made from a first layout pass, so it must
// hold the characters of every page).
TEST_F(Documents, LongScopeListsContinueOnFurtherPages) {
  if (!sh("for t in pdftotext pdfinfo pdfsig pdffonts; do command -v $t >/dev/null || echo missing; done").empty())
    GTEST_SKIP() << "poppler-utils is needed";
  const auto* kind = domain::find_kind("testing_institution");
  ASSERT_NE(kind, nullptr);
  const auto a = demo::demo_authorities()[0];
  demo::SampleGenerator gen(11);
  render::DocumentInput in;
  in.kind = kind;
  in.fields = gen.fields(*kind, a, Date{2026, 3, 2});
  nlohmann::json scope = nlohmann::json::array();
  for (int i = 1; i <= 70; ++i)
    scope.push_back(
        "第" + std::to_string(i) + "项：" +
        (i % 7 == 0 ? "地基基础工程检测（桩身完整性、单桩竖向抗压承载力、锚杆抗拔承载力、地基土承载力、复合地基承载力）"
                    : "建筑材料及构配件检测（钢筋、混凝土、砂石）"));
  in.fields["scope"] = scope;
  in.authority = a;
  in.certificate_id = "06H0G50KW9XN9EAZ5Z9HRVB984";
  in.elicense = "1.2.156.3005.2.11100000000013338W101.11440000MB2C412952.06H0G50KW9XN9EAZ5Z9HRVB984.001.7";
  in.verify_url = "https://verify.example.gov.cn/v/bbjn6N4iTGi-2QeNF463kg";
  in.version = 3;
  const KeyRing keys((dir_ / "keys").string(), "");
  auto signer = render::document_signer(keys, a);
  auto seal = render::seal_signer(keys, a);
  ASSERT_TRUE(signer.ok() && seal.ok());

  auto pdf = render::render_pdf(in, *signer, 1767225600000);
  ASSERT_TRUE(pdf.ok()) << pdf.error().to_string();
  const fs::path file = art_ / "long-scope.pdf";
  std::ofstream(file, std::ios::binary).write(pdf->data(), static_cast<std::streamsize>(pdf->size()));
  const std::string info = sh("pdfinfo " + file.string());
  const auto pages_at = info.find("Pages:");
  ASSERT_NE(pages_at, std::string::npos) << info;
  EXPECT_GE(std::atoi(info.c_str() + pages_at + 6), 3) << info;
  const std::string text = squash(sh("pdftotext -enc UTF-8 " + file.string() + " -"));
  EXPECT_GT(expect_every_field(text, *kind, in.fields), 70);
  EXPECT_NE(text.find("（续页）"), std::string::npos);
  EXPECT_NE(sh("pdffonts " + file.string()).find("yes yes yes"), std::string::npos);
  EXPECT_NE(sh("pdfsig " + file.string()).find("Signature is Valid."), std::string::npos);
  sh("pdftoppm -r 60 -png " + file.string() + " " + (art_ / "long-scope").string());

  auto ofd = render::render_ofd(in, *seal, 1767225600000);
  ASSERT_TRUE(ofd.ok()) << ofd.error().to_string();
  auto checked = render::verify_ofd(*ofd);
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_TRUE(checked->files.count("Doc_0/Pages/Page_2/Content.xml")) << "three pages";
  const std::string ofd_words = ofd_text(checked->files);
  EXPECT_GT(expect_every_field(ofd_words, *kind, in.fields), 70);
  EXPECT_NE(ofd_words.find("（续页）"), std::string::npos);
}

TEST(Photos, OnlyPhotosThatDecodeArePlacedOnDocuments) {
  auto png = [](const char* hex) { return *hex_decode(hex); };
  // A 1x1 grayscale PNG, then the same with a broken zlib checksum, a broken
  // chunk CRC, and cut short.
  const std::string good =
      png("89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c"
          "636800000082008177cd72b60000000049454e44ae426082");
  const std::string bad_adler =
      png("89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a4944"
          "4154789c63f80f00000101000518d84e0000000049454e44ae426082");
  std::string bad_crc = good;
  bad_crc[30] ^= 1;
  EXPECT_TRUE(render::photo_usable(good));
  EXPECT_FALSE(render::photo_usable(bad_adler));
  EXPECT_FALSE(render::photo_usable(bad_crc));
  EXPECT_FALSE(render::photo_usable(good.substr(0, good.size() - 12)));
  EXPECT_FALSE(render::photo_usable("\xff\xd8\xff\xe0 truncated jpeg"));
  // Magic bytes and an end marker around bytes that are no JPEG.
  EXPECT_FALSE(render::photo_usable(std::string("\xff\xd8\xff\xe0 body \xff\xd9")));
  const std::string jpeg = demo::SampleGenerator::sample_photo_jpeg(1);
  EXPECT_TRUE(render::photo_usable(jpeg));
  EXPECT_FALSE(render::photo_usable(jpeg.substr(0, jpeg.size() / 2))) << "cut short";
  EXPECT_FALSE(render::photo_usable("GIF89a"));
}

TEST_F(Documents, ThePublicCopyMasksPersonalData) {
  render::DocumentService docs(*ledger_.ledger, "https://verify.example.gov.cn");
  for (const auto& d : demo_) {
    if (d.kind != "special_operation") continue;
    auto view = projections::Reader(ledger_.ledger->store()).certificate(d.certificate_id);
    auto pdf = docs.pdf(d.certificate_id, view->state.doc_version, true);
    ASSERT_TRUE(pdf.ok());
    const fs::path file = art_ / "special_operation-public.pdf";
    std::ofstream(file, std::ios::binary).write(pdf->data(), static_cast<std::streamsize>(pdf->size()));
    const std::string text = squash(sh("pdftotext -enc UTF-8 " + file.string() + " -"));
    auto opened = projections::opened_view(*view, ledger_.ledger->vault());
    ASSERT_TRUE(opened.ok());
    const std::string id = opened->state.fields["id_number"];
    ASSERT_EQ(id.size(), 18u);
    EXPECT_EQ(text.find(id), std::string::npos) << "full 身份证号 in the public copy";
    EXPECT_NE(text.find(id.substr(0, 6) + "********" + id.substr(14)), std::string::npos);
    EXPECT_EQ(text.find(squash(opened->state.fields["name"].get<std::string>())), std::string::npos);
    EXPECT_NE(text.find("已脱敏"), std::string::npos);
    return;
  }
  FAIL() << "no special_operation certificate in the demo";
}

}  // namespace
}  // namespace certledger

namespace certledger {
namespace {

// A document of a certificate that no longer stands says so across every
// page (finding 9 of the hardening issue): revoked, cancelled, withdrawn,
// and a superseded version; the current version of a valid one does not.
TEST_F(Documents, CopiesOfCertificatesThatNoLongerStandCarryTheirStatus) {
  render::DocumentService docs(*ledger_.ledger, "https://verify.example.gov.cn");
  std::set<std::string> marked;
  bool plain_checked = false;
  for (const auto& d : demo_) {
    auto view = projections::Reader(ledger_.ledger->store()).certificate(d.certificate_id);
    ASSERT_TRUE(view.ok());
    const std::string mark = render::status_mark(*view, d.version, china_date(system_now_ms()));
    if (mark.empty() && plain_checked) continue;
    if (!mark.empty() && marked.count(mark)) continue;
    auto pdf = docs.pdf(d.certificate_id, d.version, true);
    ASSERT_TRUE(pdf.ok()) << pdf.error().to_string();
    const fs::path file = art_ / ("status-" + std::to_string(marked.size()) + (mark.empty() ? "-valid" : "") + ".pdf");
    std::ofstream(file, std::ios::binary).write(pdf->data(), static_cast<std::streamsize>(pdf->size()));
    const std::string text = squash(sh("pdftotext -enc UTF-8 " + file.string() + " -"));
    for (const char* word : {"已注销", "已吊销", "已撤销", "已作废"}) {
      // pdftotext reads the diagonal glyphs one by one, so look for each.
      std::string w = word;
      bool all = true;
      for (size_t i = 0; i < w.size(); i += 3) all = all && text.find(w.substr(i, 3)) != std::string::npos;
      if (w == mark) {
        EXPECT_TRUE(all) << d.status << " " << d.kind << " v" << d.version << ": " << text;
      }
    }
    if (mark.empty()) {
      EXPECT_EQ(text.find("吊销"), std::string::npos) << "a valid copy carries no mark";
      plain_checked = true;
    } else {
      marked.insert(mark);
    }
  }
  EXPECT_EQ(marked, (std::set<std::string>{"已注销", "已吊销", "已撤销", "已作废"}));
  EXPECT_TRUE(plain_checked);
}

// doc/operations.md: with CERTLEDGER_KEY_PASSPHRASE set, every private key
// file is encrypted — the document CA's and the authorities' document and
// seal keys as much as the event signing keys — and the documents still sign.
TEST(DocumentKeys, EveryKeyFileFollowsThePassphrase) {
  const fs::path dir = fs::temp_directory_path() / ("certledger-keypass-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ::setenv("CERTLEDGER_KEY_PASSPHRASE", "纸质证书 passphrase", 1);
  {
    ops::OpenOptions o;
    o.data_dir = dir.string();
    o.create = true;
    auto l = ops::open_data_dir(o);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    auto lines = ops::run_demo(*l->ledger, "https://verify.example.gov.cn", 1);
    ASSERT_TRUE(lines.ok()) << lines.error().to_string();
    render::DocumentService docs(*l->ledger, "https://verify.example.gov.cn");
    bool ofd = false;
    for (const auto& line : *lines) {
      ASSERT_TRUE(docs.pdf(line.certificate_id, line.version, true).ok());
      if (const auto* k = domain::find_kind(line.kind); k && k->ofd && !ofd) {
        auto doc = docs.ofd(line.certificate_id, line.version, true);
        ASSERT_TRUE(doc.ok()) << doc.error().to_string();
        ofd = true;
      }
    }
    ASSERT_TRUE(ofd);
  }
  ::unsetenv("CERTLEDGER_KEY_PASSPHRASE");
  std::set<std::string> seen;
  for (const auto& e : fs::recursive_directory_iterator(dir / "keys")) {
    if (e.path().extension() != ".pem") continue;
    std::ifstream in(e.path());
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first, "-----BEGIN ENCRYPTED PRIVATE KEY-----") << e.path();
    EXPECT_EQ(fs::status(e.path()).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << e.path();
    seen.insert(e.path().stem().string());
  }
  for (const char* name : {"k1", "ca-key", "document-signing", "seal-sm2"}) EXPECT_TRUE(seen.count(name)) << name;
  // Without the passphrase nothing opens.
  const KeyRing wrong((dir / "keys").string(), "");
  EXPECT_FALSE(wrong.read("ca/ca-key").ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace certledger
