#include "renderers/ofd.h"

#include <vector>

#include "ledger/util/encoding.h"
#include "ledger/util/utf8.h"
#include "renderers/assets.h"
#include "renderers/layout.h"
#include "renderers/ofd_canvas.h"
#include "renderers/zip.h"

namespace certledger::render {

using namespace ofd;

namespace {

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
    if (path != sig_path && path != value_path && !covered.count(path))
      return bad("file not covered by the signature: " + path);
  auto seal = ses_verify(files[value_path], signature_xml);
  if (!seal.ok()) return bad(seal.error().message);
  return OfdVerified{std::move(*seal), std::move(files)};
}

}  // namespace certledger::render