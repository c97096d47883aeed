#include "projections/cert_view.h"

#include "ledger/domain/privacy.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <istream>
#include <ostream>
#include <streambuf>

#include "ledger/util/json.h"
#include "ledger/util/json_scan.h"
#include "ledger/vault.h"
#include "ledger/util/utf8.h"

namespace certledger::projections {

using nlohmann::json;

namespace {

template <class Archive>
void serialize_version(Archive& ar, VersionInfo& v) {
  ar(v.version, v.token, v.elicense, v.cause, v.reason, v.position, v.time, v.valid_until, v.fields_json);
}

// cereal archives read and write through streams; these read the stored
// bytes in place and append to the output string, without the copies of
// std::istringstream / std::ostringstream.
class ReadBuffer : public std::streambuf {
 public:
  explicit ReadBuffer(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // the get area is only read
    setg(p, p, p + bytes.size());
  }
};

class AppendBuffer : public std::streambuf {
 public:
  explicit AppendBuffer(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

}  // namespace
}  // namespace certledger::projections

namespace cereal {
template <class Archive>
void serialize(Archive& ar, certledger::projections::VersionInfo& v) {
  certledger::projections::serialize_version(ar, v);
}
}  // namespace cereal

namespace certledger::projections {

std::string encode(const CertView& v) {
  std::string out;
  out.reserve(1024);
  AppendBuffer buf(out);
  std::ostream os(&buf);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    const auto& s = v.state;
    uint8_t status = static_cast<uint8_t>(s.status);
    ar(kCertViewFormat, s.id, s.kind, s.authority, status, json_dump(s.fields), s.doc_version, s.token, s.elicense,
       s.stream_version, s.last_hash, s.status_reason, s.status_time, s.suspended_until);
    ar(v.versions, v.last_position, v.last_time, v.issued_time, v.source, v.status_decision, v.actor_json);
    std::vector<uint32_t> sealed_counts;
    for (const auto& x : v.versions) sealed_counts.push_back(x.sealed);
    ar(s.holder, s.sealed, s.erased, sealed_counts);
  }
  return out;
}

Result<CertView> decode(std::string_view bytes) {
  CertView v;
  try {
    ReadBuffer buf(bytes);
    std::istream is(&buf);
    cereal::PortableBinaryInputArchive ar(is);
    uint32_t format = 0;
    uint8_t status = 0;
    std::string fields;
    auto& s = v.state;
    ar(format);
    if (format > kCertViewFormat || format < 1)
      return make_error(Errc::corruption, "certificate view format " + std::to_string(format));
    ar(s.id, s.kind, s.authority, status, fields, s.doc_version, s.token, s.elicense, s.stream_version, s.last_hash,
       s.status_reason, s.status_time, s.suspended_until);
    ar(v.versions, v.last_position, v.last_time, v.issued_time, v.source, v.status_decision, v.actor_json);
    if (format >= 2) {
      std::vector<uint32_t> sealed_counts;
      ar(s.holder, s.sealed, s.erased, sealed_counts);
      if (sealed_counts.size() != v.versions.size())
        return make_error(Errc::corruption, "certificate view: sealed counts do not match the versions");
      for (size_t i = 0; i < sealed_counts.size(); ++i) v.versions[i].sealed = sealed_counts[i];
      // Format 2 kept each whole `personal` member; 3 keeps its JWE.
      if (format == 2)
        for (auto& sealed : s.sealed) {
          auto member = json::parse(sealed, nullptr, false);
          if (!member.is_object() || !member.contains("jwe") || !member["jwe"].is_string())
            return make_error(Errc::corruption, "certificate view: a sealed member without its JWE");
          sealed = member["jwe"].get<std::string>();
        }
    }
    s.exists = true;
    s.status = static_cast<domain::CertStatus>(status);
    s.fields = json::parse(fields);
  } catch (const std::exception& e) {
    return make_error(Errc::corruption, std::string("certificate view: ") + e.what());
  }
  return v;
}

std::string status_message(const domain::CertificateState& s, uint64_t position, UnixMillis time) {
  auto field = [&](const char* name) -> std::string_view {
    auto it = s.fields.find(name);
    return it != s.fields.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                                   : std::string_view();
  };
  std::string m;
  m.reserve(320);
  m += "{\"authority\":";
  json_append_string(m, s.authority);
  m += ",\"certificate\":";
  json_append_string(m, s.id);
  m += ",\"kind\":";
  json_append_string(m, s.kind);
  m += ",\"number\":";
  json_append_string(m, field("number"));
  m += ",\"position\":";
  m += std::to_string(position);
  if (s.status != domain::CertStatus::active) {
    m += ",\"reason\":";
    json_append_string(m, s.status_reason);
  }
  m += ",\"status\":";
  json_append_string(m, domain::status_name(s.status));
  m += ",\"time\":";
  json_append_string(m, format_rfc3339_ms(time));
  m += ",\"valid_until\":";
  json_append_string(m, field("valid_until"));
  m += ",\"version\":";
  m += std::to_string(s.doc_version);
  m += '}';
  return m;
}

Status apply(CertView& v, const domain::Event& e, uint64_t position, std::string_view record_hash) {
  CL_TRY(domain::apply_event(v.state, e, record_hash));
  auto cmd = *domain::command_of_event_type(e.type);
  v.last_position = position;
  v.last_time = e.time;
  v.actor_json = json_dump(e.actor);
  if (cmd == domain::CommandType::issue || cmd == domain::CommandType::convert) {
    v.issued_time = e.time;
    v.source = e.data.value("source", "");
  }
  if (domain::makes_new_version(cmd)) {
    VersionInfo vi;
    vi.version = v.state.doc_version;
    vi.token = v.state.token;
    vi.elicense = v.state.elicense;
    std::string type = e.type.substr(e.type.find('.') + 1);
    vi.cause = type;
    vi.reason = e.data.value("reason", "");
    vi.position = position;
    vi.time = e.time;
    auto until = v.state.valid_until();
    vi.valid_until = until ? until->to_string() : "";
    vi.fields_json = json_dump(v.state.fields);
    vi.sealed = static_cast<uint32_t>(v.state.sealed.size());
    v.versions.push_back(std::move(vi));
  } else {
    v.status_decision = e.data.value("decision", "");
  }
  return {};
}

Status apply_erasure(CertView& v, const domain::Event& e, uint64_t position) {
  const auto* kind = domain::find_kind(v.state.kind);
  if (!v.state.exists || !kind)
    return make_error(Errc::corruption, "holder.erased names " + v.state.id + ", which is not a certificate");
  if (v.state.holder != e.data.value("holder", ""))
    return make_error(Errc::corruption, "holder.erased names certificate " + v.state.id + " of another holder");
  domain::erase_personal(*kind, v.state.fields);
  v.state.sealed.clear();
  v.state.erased = true;
  for (auto& vi : v.versions) {
    json f = json::parse(vi.fields_json, nullptr, false);
    domain::erase_personal(*kind, f);
    vi.fields_json = f.dump();
    vi.sealed = 0;
  }
  v.last_position = position;
  v.last_time = e.time;
  return {};
}

namespace {

Result<std::optional<std::string>> holder_key_of(const CertView& v, const KeyVault* vault) {
  if (v.state.sealed.empty() || !vault) return std::optional<std::string>();
  CL_ASSIGN(auto k, vault->key(v.state.holder));
  if (!k) return std::optional<std::string>();
  return std::optional<std::string>(std::move(k->key));
}

}  // namespace

Result<json> opened_fields(const CertView& v, const VersionInfo* version, const KeyVault* vault) {
  CL_ASSIGN(auto key, holder_key_of(v, vault));
  if (!version) {
    if (!key) return v.state.fields;
    return domain::unsealed_fields(v.state, *key);
  }
  domain::CertificateState s;
  s.fields = json::parse(version->fields_json, nullptr, false);
  if (!s.fields.is_object()) return make_error(Errc::corruption, "certificate " + v.state.id + ": version fields");
  if (!key) return s.fields;
  s.sealed = v.state.sealed;
  return domain::unsealed_fields(s, *key, version->sealed);
}

Result<CertView> opened_view(CertView v, const KeyVault* vault) {
  CL_ASSIGN(auto key, holder_key_of(v, vault));
  if (!key) return v;
  for (auto& vi : v.versions) {
    CL_ASSIGN(json f, opened_fields(v, &vi, vault));
    vi.fields_json = f.dump();
  }
  CL_ASSIGN(v.state.fields, domain::unsealed_fields(v.state, *key));
  return v;
}

const char* public_status_name(PublicStatus s) {
  switch (s) {
    case PublicStatus::valid: return "valid";
    case PublicStatus::expired: return "expired";
    case PublicStatus::suspended: return "suspended";
    case PublicStatus::cancelled: return "cancelled";
    case PublicStatus::revoked: return "revoked";
    case PublicStatus::withdrawn: return "withdrawn";
    case PublicStatus::superseded: return "superseded";
  }
  return "valid";
}

const char* public_status_word(PublicStatus s) {
  switch (s) {
    case PublicStatus::valid: return "有效";
    case PublicStatus::expired: return "已过期";
    case PublicStatus::suspended: return "暂扣";
    case PublicStatus::cancelled: return "已注销";
    case PublicStatus::revoked: return "已吊销";
    case PublicStatus::withdrawn: return "已撤销";
    case PublicStatus::superseded: return "已作废";
  }
  return "有效";
}

PublicView public_view(const CertView& v, uint32_t version, Date today) {
  PublicView p;
  p.version = version;
  p.current_version = v.state.doc_version;
  const auto& s = v.state;
  auto since = [&] { return s.status_time ? format_rfc3339_ms(s.status_time) : std::string(); };
  switch (s.status) {
    case domain::CertStatus::withdrawn: p.status = PublicStatus::withdrawn; break;
    case domain::CertStatus::revoked: p.status = PublicStatus::revoked; break;
    case domain::CertStatus::cancelled: p.status = PublicStatus::cancelled; break;
    case domain::CertStatus::suspended: p.status = PublicStatus::suspended; break;
    case domain::CertStatus::active: break;
  }
  if (s.status != domain::CertStatus::active) {
    p.since = since();
    p.reason = s.status_reason;
  }
  if (version < s.doc_version) {
    p.superseded_by = version + 1;
    if (s.status == domain::CertStatus::active) {
      p.status = PublicStatus::superseded;
      for (const auto& vi : v.versions)
        if (vi.version == version + 1) {
          p.since = format_rfc3339_ms(vi.time);
          p.reason = vi.cause;
        }
    }
    return p;
  }
  if (s.status == domain::CertStatus::active && s.expired(today)) {
    p.status = PublicStatus::expired;
    p.since = s.valid_until()->plus_days(1).to_string();
  }
  return p;
}

std::string mask_person_name(std::string_view name) { return domain::mask_person_name(name); }

std::string mask_id_number(std::string_view id) { return domain::mask_id_number(id); }

json public_fields(const domain::KindDescriptor& kind, const json& fields) {
  json out = json::object();
  for (const auto& spec : kind.fields) {
    auto it = fields.find(std::string(spec.name));
    if (it == fields.end()) continue;
    if (auto shown = domain::public_value(kind, spec, *it)) out[std::string(spec.name)] = std::move(*shown);
  }
  return out;
}

}  // namespace certledger::projections
