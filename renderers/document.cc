#include "renderers/document.h"

#include "projections/queries.h"
#include "renderers/ofd.h"
#include "renderers/pdf.h"

namespace certledger::render {

Result<DocumentService::Format> DocumentService::parse_format(std::string_view name) {
  if (name == "pdf") return Format::pdf;
  if (name == "ofd") return Format::ofd;
  return make_error(Errc::invalid_argument, "unknown document format '" + std::string(name) + "' (pdf or ofd)",
                    "format");
}

std::string status_mark(const projections::CertView& view, uint32_t version, Date today) {
  using projections::PublicStatus;
  const auto s = projections::public_view(view, version, today).status;
  if (s == PublicStatus::cancelled || s == PublicStatus::revoked || s == PublicStatus::withdrawn ||
      s == PublicStatus::superseded)
    return projections::public_status_word(s);
  return {};
}

Result<std::string> DocumentService::render(const std::string& id, uint32_t version, bool masked, Format format) {
  // The status mark is part of what is cached: read the view first.
  CL_ASSIGN(auto view, projections::Reader(ledger_.store()).certificate(id));
  const std::string mark = status_mark(view, version, china_date(ledger_.options().clock()));
  const std::string key = id + "/" + std::to_string(version) + (masked ? "/public" : "/full") +
                          (format == Format::ofd ? "/ofd" : "/pdf") + "/" + mark + (view.state.erased ? "/erased" : "");
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
  }
  const projections::VersionInfo* v = nullptr;
  for (const auto& x : view.versions)
    if (x.version == version) v = &x;
  if (!v) return make_error(Errc::not_found, "certificate " + id + " has no version " + std::to_string(version));
  auto authority = ledger_.authority(view.state.authority);
  if (!authority) return make_error(Errc::corruption, "unknown authority " + view.state.authority);
  DocumentInput in;
  in.kind = domain::find_kind(view.state.kind);
  if (!in.kind) return make_error(Errc::corruption, "unknown kind " + view.state.kind);
  if (format == Format::ofd && !in.kind->ofd)
    return make_error(Errc::not_found,
                      std::string(in.kind->name) + " is issued as PDF only (its notice asks for no OFD)");
  if (masked) {
    in.fields = nlohmann::json::parse(v->fields_json);
  } else {
    CL_ASSIGN(in.fields, projections::opened_fields(view, v, ledger_.vault()));
  }
  in.authority = *authority;
  in.certificate_id = id;
  in.version = version;
  in.elicense = v->elicense;
  in.verify_url = base_url_ + "/v/" + v->token;
  in.masked = masked;
  in.version_time = v->time;
  in.status_mark = mark;
  if (auto ref = in.fields.find("photo"); ref != in.fields.end() && ref->is_string())
    in.photo = ledger_.blob(ref->get<std::string>());
  std::string doc;
  if (format == Format::ofd) {
    CL_ASSIGN(auto seal, seal_signer(ledger_.keys(), *authority));
    CL_ASSIGN(doc, render_ofd(in, seal, ledger_.options().clock()));
  } else {
    CL_ASSIGN(auto signer, document_signer(ledger_.keys(), *authority));
    CL_ASSIGN(doc, render_pdf(in, signer, ledger_.options().clock()));
  }
  std::lock_guard lock(mu_);
  lru_.emplace_front(key, doc);
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return doc;
}

}  // namespace certledger::render
