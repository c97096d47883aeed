// Documents on demand from the projections: the PDF (every kind) or OFD
// (kinds whose notices ask for it) of a certificate version, signed by its
// authority, cached by (certificate, version, masked, format) — the content
// is deterministic for a version; only the signature time differs between
// renderings.
#pragma once

#include <list>
#include <map>
#include <mutex>
#include <string>

#include "ledger/ledger.h"
#include "projections/cert_view.h"

namespace certledger::render {

// The word a document of this version carries across its pages: 已注销,
// 已吊销, 已撤销 or 已作废 (superseded by a later version); empty while the
// version stands (valid, suspended or expired).
std::string status_mark(const projections::CertView& view, uint32_t version, Date today);

class DocumentService {
 public:
  DocumentService(Ledger& ledger, std::string base_url, size_t cache_entries = 256)
      : ledger_(ledger), base_url_(std::move(base_url)), capacity_(cache_entries) {}
  enum class Format { pdf, ofd };
  static Result<Format> parse_format(std::string_view name);  // "pdf" | "ofd"
  Result<std::string> render(const std::string& certificate_id, uint32_t version, bool masked, Format format);
  Result<std::string> pdf(const std::string& certificate_id, uint32_t version, bool masked) {
    return render(certificate_id, version, masked, Format::pdf);
  }
  Result<std::string> ofd(const std::string& certificate_id, uint32_t version, bool masked) {
    return render(certificate_id, version, masked, Format::ofd);
  }
  void set_base_url(std::string url) { base_url_ = std::move(url); }

 private:
  Ledger& ledger_;
  std::string base_url_;
  size_t capacity_;
  std::mutex mu_;
  std::list<std::pair<std::string, std::string>> lru_;  // key, document
  std::map<std::string, std::list<std::pair<std::string, std::string>>::iterator> index_;
};

}  // namespace certledger::render
