// JSON and HTML renderings of projections: the authority's full view, the
// public verification answer (masked), and the mobile verification page.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/domain/certificate.h"
#include "projections/cert_view.h"

namespace certledger::api {

// Everything, for the certificate's own authority; with `masked`, the
// fields as the public copy shows them (for the institution that holds it).
nlohmann::json authority_view(const projections::CertView& v, const std::string& base_url, bool masked = false);

struct VerifyContext {
  std::string base_url;
  std::string authority_name;
  uint64_t log_position = 0;
  UnixMillis now = 0;
};
// The public answer for a token: machine status, Chinese word, masked fields.
nlohmann::json verify_json(const projections::CertView& v, uint32_t version, const VerifyContext& c);
// The phone page for the same answer (inline CSS, no external assets).
// The page says beside its status banner whether the proof embedded at
// kProofMark verified in the browser (api/page/statement_verifier.js).
inline constexpr std::string_view kProofMark = "<!--certledger-proof-->";
std::string verify_page(const nlohmann::json& verify, const std::string& token);
// The verifier script the page runs (compiled in), served at
// kVerifierScriptPath.
const std::string& statement_verifier_script();
inline constexpr std::string_view kVerifierScriptPath = "/static/statement-verifier.js";
std::string not_found_page();
// For a server that cannot confirm the live status now (a stale replica).
std::string stale_page();

std::string html_escape(std::string_view s);

}  // namespace certledger::api
