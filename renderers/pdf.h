// The certificate as a signed PDF (PoDoFo): one layout driven by the kind's
// descriptor — A4 landscape for testing institutions (seed 000), portrait
// for the rest (seeds 001, 003, 004) — with the embedded, subset CJK font,
// the version's QR code, the authority's red electronic seal drawn as
// vectors, the national e-license identifier and version number, and a CMS
// detached signature by the authority's document-signing certificate.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger/domain/certificate.h"
#include "ledger/domain/kinds.h"
#include "renderers/signing.h"

namespace certledger::render {

struct DocumentInput {
  const domain::KindDescriptor* kind = nullptr;
  nlohmann::json fields;  // as of this version
  domain::AuthorityInfo authority;
  std::string certificate_id;
  uint32_t version = 1;
  std::string elicense;
  std::string verify_url;            // what the QR encodes
  std::optional<std::string> photo;  // JPEG or PNG bytes (personnel kinds)
  bool masked = false;               // the public copy: personal data masked, no photo
  UnixMillis version_time = 0;       // when this version was issued
  // Printed large across every page when the version no longer stands
  // (已注销, 已吊销, 已撤销, 已作废), so a downloaded copy cannot pass for a
  // valid one. Empty for a version in force.
  std::string status_mark;
};

// How a value is printed (dates in Chinese, lists one item per line), so
// tests can look for exactly what the page shows.
std::string display_date(std::string_view iso);  // 2026-01-05 -> 2026年01月05日
std::vector<std::string> display_lines(const domain::FieldSpec& spec, const nlohmann::json& value);

Result<std::string> render_pdf(const DocumentInput& in, const SigningIdentity& signer, UnixMillis signing_time);

}  // namespace certledger::render
