#include "ledger/domain/certificate.h"

#include <map>

#include "ledger/domain/privacy.h"

#include <set>

#include "ledger/domain/identifiers.h"
#include "ledger/domain/validate.h"

namespace certledger::domain {

using nlohmann::json;

std::optional<Date> CertificateState::valid_until() const {
  auto it = fields.find("valid_until");
  if (it == fields.end() || !it->is_string()) return std::nullopt;
  return parse_date(it->get_ref<const std::string&>());
}

bool CertificateState::expired(Date today) const {
  auto until = valid_until();
  return until && *until < today;
}

LifecycleState CertificateState::lifecycle(Date today) const { return lifecycle_state(exists, status, expired(today)); }

namespace {

Error corrupt(const Event& e, std::string msg) {
  return make_error(Errc::corruption, "stream " + e.stream + " seq " + std::to_string(e.seq) + ": " + std::move(msg));
}

std::string get_str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void take_version(CertificateState& s, const json& data) {
  s.doc_version = data.value("doc_version", s.doc_version + 1);
  s.token = get_str(data, "token");
  s.elicense = get_str(data, "elicense");
}

}  // namespace

// Format 2 (domain/privacy.h): the sealed personal data of an issue or
// amendment, and no personal value in clear beside it.
static Status take_personal(CertificateState& s, const Event& e, bool creates) {
  const KindDescriptor* kind = find_kind(e.kind);
  if (!kind) return corrupt(e, "unknown kind " + e.kind);
  auto p = e.data.find("personal");
  const json* object = nullptr;
  if (auto f = e.data.find(creates ? "fields" : "changes"); f != e.data.end() && f->is_object()) object = &*f;
  if (p == e.data.end()) {
    if (e.v < 2 || !seals_personal(*kind) || !object) return {};
    for (auto it = object->begin(); it != object->end(); ++it)
      if (is_sealed_field(*kind, it.key()))
        return corrupt(e, "personal field " + it.key() + " outside the sealed data of a format-2 event");
    return {};
  }
  if (e.v < 2) return corrupt(e, "sealed personal data in a format-1 event");
  if (auto st = check_personal(*p); !st.ok()) return corrupt(e, st.error().message);
  const std::string& holder = (*p)["holder"].get_ref<const std::string&>();
  if (!s.holder.empty() && s.holder != holder) return corrupt(e, "the sealed data names another holder");
  // Beside the sealed data only public forms: what public_value leaves as
  // it is (no photo, masked name and number).
  for (const auto& spec : kind->fields) {
    if (!object || !is_sealed_field(*kind, spec.name)) continue;
    auto it = object->find(std::string(spec.name));
    if (it == object->end()) continue;
    auto pub = public_value(*kind, spec, *it);
    if (!pub || *pub != *it) return corrupt(e, "personal field " + std::string(spec.name) + " in clear");
    if (!(*p)["commitments"].contains(std::string(spec.name)))
      return corrupt(e, "personal field " + std::string(spec.name) + " without its sealed value");
  }
  s.holder = holder;
  s.sealed.push_back((*p)["jwe"].get<std::string>());
  return {};
}

Status apply_event(CertificateState& s, const Event& e, std::string_view record_hash) {
  auto cmd = command_of_event_type(e.type);
  if (!cmd) return corrupt(e, "not a certificate event: " + e.type);
  if (e.seq != s.stream_version + 1) return corrupt(e, "expected seq " + std::to_string(s.stream_version + 1));
  if (e.prev != s.last_hash) return corrupt(e, "prev does not match the stream's last record");
  if (s.exists && (e.stream != s.id || e.kind != s.kind || e.authority != s.authority))
    return corrupt(e, "stream, kind or authority differs from the certificate's");
  const bool creates = *cmd == CommandType::issue || *cmd == CommandType::convert;
  if (creates == s.exists) return corrupt(e, std::string(e.type) + " in the wrong place");
  if (!creates && is_terminal(s.status)) return corrupt(e, "event after a terminal state");

  if (creates || *cmd == CommandType::amend) CL_TRY(take_personal(s, e, creates));
  switch (*cmd) {
    case CommandType::issue:
    case CommandType::convert:
      s.exists = true;
      s.id = e.stream;
      s.kind = e.kind;
      s.authority = e.authority;
      s.status = CertStatus::active;
      s.fields = e.data.value("fields", json::object());
      s.doc_version = 0;
      take_version(s, e.data);
      break;
    case CommandType::amend:
      for (auto it = e.data["changes"].begin(); it != e.data["changes"].end(); ++it) s.fields[it.key()] = it.value();
      take_version(s, e.data);
      break;
    case CommandType::reissue: take_version(s, e.data); break;
    case CommandType::renew:
    case CommandType::review:
      if (e.data.contains("valid_from")) s.fields["valid_from"] = e.data["valid_from"];
      s.fields["valid_until"] = e.data["valid_until"];
      take_version(s, e.data);
      break;
    case CommandType::suspend:
      s.status = CertStatus::suspended;
      s.suspended_until = get_str(e.data, "until");
      break;
    case CommandType::reinstate:
      s.status = CertStatus::active;
      s.suspended_until.clear();
      break;
    case CommandType::cancel: s.status = CertStatus::cancelled; break;
    case CommandType::revoke: s.status = CertStatus::revoked; break;
    case CommandType::withdraw: s.status = CertStatus::withdrawn; break;
  }
  if (!makes_new_version(*cmd)) {
    s.status_reason = get_str(e.data, "reason");
    s.status_time = e.time;
  }
  s.stream_version = e.seq;
  s.last_hash = std::string(record_hash);
  return {};
}

Result<json> unsealed_fields(const CertificateState& s, std::string_view key, size_t upto) {
  json fields = s.fields;
  for (size_t i = 0; i < s.sealed.size() && i < upto; ++i) {
    CL_ASSIGN(json opened, open_sealed(s.sealed[i], key));
    for (auto it = opened.begin(); it != opened.end(); ++it) fields[it.key()] = std::move(it.value());
  }
  return fields;
}

Result<CertificateState> unsealed(CertificateState s, std::string_view key) {
  CL_ASSIGN(s.fields, unsealed_fields(s, key));
  return s;
}

std::string number_claim(std::string_view authority, std::string_view kind, std::string_view number) {
  return "number/" + std::string(authority) + "/" + std::string(kind) + "/" + std::string(number);
}

std::vector<std::string> event_claims(const Event& e) {
  auto cmd = command_of_event_type(e.type);
  if (!cmd || (*cmd != CommandType::issue && *cmd != CommandType::convert)) return {};
  auto f = e.data.find("fields");
  if (f == e.data.end() || !f->contains("number") || !(*f)["number"].is_string()) return {};
  return {number_claim(e.authority, e.kind, (*f)["number"].get<std::string>())};
}

Result<std::string> elicense_for(const KindDescriptor& kind, const AuthorityInfo& authority,
                                 std::string_view certificate_id, uint32_t doc_version) {
  std::string issuer = authority.uscc.empty() ? authority.region : authority.uscc;
  CL_ASSIGN(auto id, make_elicense(kind.elicense_type, issuer, certificate_id, static_cast<int>(doc_version)));
  return id.to_string();
}

namespace {

Error rule(std::string msg) { return make_error(Errc::rule_violation, std::move(msg)); }
Error invalid(std::string msg, std::string field) {
  return make_error(Errc::invalid_argument, std::move(msg), std::move(field));
}

Error verdict_error(Verdict v, const CertificateState& s, const KindDescriptor* kind, CommandType c, Date today) {
  const std::string what = command_name(c);
  switch (v) {
    case Verdict::no_such_certificate: return make_error(Errc::not_found, "no certificate " + s.id + " to " + what);
    case Verdict::already_issued: return make_error(Errc::already_exists, "certificate " + s.id + " already exists");
    case Verdict::terminal:
      return rule("certificate is " + std::string(status_name(s.status)) + ", a final state; it accepts no " + what);
    case Verdict::wrong_state:
      return rule("cannot " + what + " a certificate that is " + state_name(s.lifecycle(today)));
    case Verdict::expired:
      return rule("certificate expired on " + (s.valid_until() ? s.valid_until()->to_string() : "?") +
                  "; renew it before " + what);
    case Verdict::kind_unsupported:
      return rule(std::string(kind ? kind->name : "this kind") + " has no " + what + " operation");
    case Verdict::allowed: break;
  }
  return make_error(Errc::internal, "allowed verdict treated as an error");
}

Result<json> actor_json(const Actor& a, CommandType c) {
  if (a.operator_id.empty()) return invalid("the acting operator is required", "actor.operator");
  CL_TRY(validate_text("actor.operator", json(a.operator_id), 64));
  CL_TRY(check_role(a.role, c));
  json trail = json::array();
  static const std::set<std::string> steps = {"clerk", "first_review", "review", "approve", "documents"};
  for (const auto& st : a.trail) {
    if (!steps.count(st.step))
      return invalid("approval step must be clerk, first_review, review, approve or documents", "actor.trail");
    CL_TRY(validate_text("actor.trail.operator", json(st.operator_id), 64));
    json step = {{"step", st.step}, {"operator", st.operator_id}};
    if (!st.opinion.empty()) {
      CL_TRY(validate_text("actor.trail.opinion", json(st.opinion), 500));
      step["opinion"] = st.opinion;
    }
    trail.push_back(std::move(step));
  }
  return json{{"operator", a.operator_id}, {"role", role_name(a.role)}, {"trail", trail}};
}

Status optional_text(json& data, const char* key, const std::string& value, size_t max) {
  if (value.empty()) return {};
  CL_TRY(validate_text(key, json(value), max));
  data[key] = value;
  return {};
}

Result<Date> require_date(const std::string& s, const char* field) {
  auto d = parse_date(s);
  if (!d) return invalid(std::string(field) + " must be a real date written YYYY-MM-DD", field);
  return *d;
}

Status new_version(json& data, const CertificateState& s, const KindDescriptor& kind, const DecideContext& ctx,
                   const std::string& id) {
  uint32_t v = s.exists ? s.doc_version + 1 : 1;
  data["doc_version"] = v;
  data["token"] = ctx.new_token();
  CL_ASSIGN(data["elicense"], elicense_for(kind, *ctx.authority, id, v));
  return {};
}

}  // namespace

namespace {

// A new certificate (issue, or convert of paper stock still in force):
// every field valid, the expiry not past.
Status check_creation(const CommandInput& cmd, const KindDescriptor* kind, Date today, json& data) {
  CL_TRY(validate_fields(*kind, cmd.fields, today));
  if (cmd.type == CommandType::convert) {
    auto until = cmd.fields.find("valid_until");
    if (until != cmd.fields.end() && *parse_date(until->get<std::string>()) < today)
      return rule("a paper certificate can only be converted while in force; it expired on " +
                  until->get<std::string>());
    data["source"] = "paper";
  } else if (kind->has_expiry()) {
    if (*parse_date(cmd.fields.at("valid_until").get<std::string>()) < today)
      return invalid("有效期至 (valid_until) is already past", "valid_until");
  }
  return {};
}

namespace {

std::vector<std::string> items_of(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  else if (v.is_array())
    for (const auto& x : v)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

// 增项 adds categories the certificate does not hold yet: an item of a
// category it holds at another grade is a 升级 (or a downgrade), not a 增项.
Status check_added_categories(const KindDescriptor& kind, const std::set<std::string>& old_items, const json& now,
                              const std::string& field) {
  std::set<std::string_view> held;
  for (const auto& x : old_items) held.insert(kind.graded(x).category);
  for (const auto& x : now) {
    const std::string& item = x.get_ref<const std::string&>();
    if (old_items.count(item)) continue;
    if (auto g = kind.graded(item); g.rank && held.count(g.category))
      return invalid("增项 adds new categories only: " + item + " changes the grade of " + std::string(g.category) +
                         " the certificate already holds (that is 升级, grade_raised)",
                     field);
  }
  return {};
}

// 升级 raises grades: every category held stays, each at its grade or a
// higher one, at least one higher, and none is added (that is 增项).
Status check_grade_raised(const KindDescriptor& kind, const json& before, const json& after, const std::string& field) {
  if (kind.grades.empty()) return {};
  std::map<std::string, std::optional<size_t>> old_rank;  // category -> grade rank
  for (const auto& item : items_of(before)) {
    auto g = kind.graded(item);
    old_rank[std::string(g.category)] = g.rank;
  }
  std::map<std::string, std::optional<size_t>> new_rank;
  for (const auto& item : items_of(after)) {
    auto g = kind.graded(item);
    auto old = old_rank.find(std::string(g.category));
    if (old == old_rank.end())
      return invalid("升级 raises the grades held; " + item + " is a new category (that is 增项, scope_added)", field);
    if (!g.rank && old->second)
      return invalid("升级 keeps a grade for " + std::string(g.category) + "; " + item + " has none", field);
    if (g.rank && old->second && *g.rank > *old->second)
      return invalid(
          "升级 may not lower a grade: " + item + " is below the " + std::string(kind.grades[*old->second]) + " held",
          field);
    if (!new_rank.emplace(std::string(g.category), g.rank).second)
      return invalid("升级 leaves one grade per category; " + std::string(g.category) + " is listed twice", field);
  }
  bool raised = false;
  for (const auto& [category, rank] : old_rank) {
    auto now = new_rank.find(category);
    if (now == new_rank.end())
      return invalid("升级 may not remove a qualification: " + category +
                         (rank ? std::string(kind.grades[*rank]) : std::string()) + " is missing",
                     field);
    raised = raised || (now->second && rank && *now->second < *rank);
  }
  if (!raised) return invalid("升级 raises at least one grade; none is higher than before", field);
  return {};
}

}  // namespace

// 变更: the reason is one the kind allows, and each change is a field that
// reason may change, valid, and different from the current value; lists
// that only grow (增项) lose nothing.
Status check_amendment(const CertificateState& s, const CommandInput& cmd, const KindDescriptor* kind, Date today) {
  const AmendReason* why = kind->amend_reason(cmd.reason);
  if (!why) {
    std::string known;
    for (const auto& r : kind->amend_reasons) known += (known.empty() ? "" : ", ") + std::string(r.code);
    return invalid(
        "unknown amendment reason \"" + cmd.reason + "\" for " + std::string(kind->code) + "; allowed: " + known,
        "reason");
  }
  if (!cmd.changes.is_object() || cmd.changes.empty())
    return invalid("changes must be a non-empty object of field -> new value", "changes");
  for (auto it = cmd.changes.begin(); it != cmd.changes.end(); ++it) {
    bool allowed = false;
    for (auto f : why->fields) allowed = allowed || f == it.key();
    if (!allowed) return invalid("reason " + cmd.reason + " cannot change field " + it.key(), it.key());
    const FieldSpec* spec = kind->field(it.key());
    if (!spec) return make_error(Errc::internal, "amend reason names unknown field");
    if (!(it->is_null() && !spec->required)) CL_TRY(validate_value(*spec, *it, today));
    else if (spec->required) return invalid(it.key() + " is required", it.key());
    auto cur = s.fields.find(it.key());
    if (cur != s.fields.end() && *cur == *it) return invalid(it.key() + " already has this value", it.key());
    if (why->list_grows) {
      std::set<std::string> old_items;
      if (cur != s.fields.end())
        for (const auto& x : *cur) old_items.insert(x.get<std::string>());
      size_t kept = 0;
      for (const auto& x : *it) kept += old_items.count(x.get<std::string>());
      if (kept != old_items.size())
        return invalid("增项 (scope_added) may only add items; the new list drops some", it.key());
      CL_TRY(check_added_categories(*kind, old_items, *it, it.key()));
    }
    if (cmd.reason == "grade_raised" && cur != s.fields.end()) CL_TRY(check_grade_raised(*kind, *cur, *it, it.key()));
  }
  return {};
}

// 延续 / 复核: the new 有效期至 is after the current one, not past, and
// within the kind's validity from the later of today and the current end.
Status check_renewal(const CertificateState& s, const CommandInput& cmd, const KindDescriptor* kind, Date today,
                     json& data) {
  CL_ASSIGN(Date until, require_date(cmd.valid_until, "valid_until"));
  auto old_until = s.valid_until();
  if (old_until && until <= *old_until)
    return invalid("new 有效期至 (valid_until) must be after the current " + old_until->to_string(), "valid_until");
  if (until < today) return invalid("new 有效期至 (valid_until) is already past", "valid_until");
  const Date base = old_until && *old_until > today ? *old_until : today;
  if (until > base.plus_years(kind->validity_years + 1))
    return invalid("new 有效期至 (valid_until) exceeds the " + std::to_string(kind->validity_years) +
                       "-year validity of " + std::string(kind->name),
                   "valid_until");
  if (!cmd.valid_from.empty()) {
    CL_ASSIGN(Date from, require_date(cmd.valid_from, "valid_from"));
    if (until < from) return invalid("valid_until is before valid_from", "valid_until");
    data["valid_from"] = from.to_string();
  }
  data["valid_until"] = until.to_string();
  return {};
}

}  // namespace

Result<Decision> decide(const CertificateState& s, const CommandInput& cmd, const DecideContext& ctx) {
  if (!ctx.authority) return make_error(Errc::internal, "decide without an authority");
  const Date today = china_date(ctx.now);
  const bool creates = cmd.type == CommandType::issue || cmd.type == CommandType::convert;
  const KindDescriptor* kind = find_kind(creates ? cmd.kind : s.kind);
  if (creates && !kind) {
    std::string known;
    for (const auto& k : all_kinds()) known += (known.empty() ? "" : ", ") + std::string(k.code);
    return invalid("unknown certificate kind \"" + cmd.kind + "\"; known kinds: " + known, "kind");
  }
  if (s.exists && s.authority != ctx.authority->code)
    return make_error(Errc::forbidden,
                      "certificate " + s.id + " belongs to authority " + s.authority + ", not " + ctx.authority->code);
  if (!kind && s.exists) return make_error(Errc::corruption, "certificate of unknown kind " + s.kind);
  auto verdict = kind ? lifecycle_verdict(*kind, s.lifecycle(today), cmd.type) : Verdict::no_such_certificate;
  if (verdict != Verdict::allowed) return verdict_error(verdict, s, kind, cmd.type, today);

  Decision d;
  d.type = event_type(cmd.type);
  CL_ASSIGN(d.actor, actor_json(cmd.actor, cmd.type));
  json data = json::object();
  CL_TRY(optional_text(data, "decision", cmd.decision, 100));
  const std::string id = creates ? cmd.certificate_id : s.id;
  if (creates && !is_certificate_id(id))
    return make_error(Errc::internal, "new certificate id is not 26 Crockford base32 characters");

  switch (cmd.type) {
    case CommandType::issue:
    case CommandType::convert: {
      CL_TRY(check_creation(cmd, kind, today, data));
      data["fields"] = cmd.fields;
      CL_TRY(new_version(data, s, *kind, ctx, id));
      d.unique_claims.push_back(
          number_claim(ctx.authority->code, kind->code, cmd.fields.at("number").get<std::string>()));
      break;
    }
    case CommandType::amend: {
      CL_TRY(check_amendment(s, cmd, kind, today));
      data["reason"] = cmd.reason;
      data["changes"] = cmd.changes;
      CL_TRY(new_version(data, s, *kind, ctx, id));
      break;
    }
    case CommandType::reissue:
      if (cmd.reason != "lost" && cmd.reason != "damaged")
        return invalid("reissue reason must be lost or damaged", "reason");
      data["reason"] = cmd.reason;
      CL_TRY(new_version(data, s, *kind, ctx, id));
      break;
    case CommandType::renew:
    case CommandType::review: {
      CL_TRY(check_renewal(s, cmd, kind, today, data));
      CL_TRY(new_version(data, s, *kind, ctx, id));
      break;
    }
    case CommandType::suspend:
      CL_TRY(validate_text("reason", json(cmd.reason), 500));
      data["reason"] = cmd.reason;
      if (!cmd.until.empty()) {
        CL_ASSIGN(Date until, require_date(cmd.until, "until"));
        if (until <= today) return invalid("suspension end date must be in the future", "until");
        data["until"] = until.to_string();
      }
      break;
    case CommandType::reinstate: CL_TRY(optional_text(data, "reason", cmd.reason, 500)); break;
    case CommandType::cancel:
    case CommandType::revoke:
    case CommandType::withdraw:
      CL_TRY(validate_text("reason", json(cmd.reason), 500));
      data["reason"] = cmd.reason;
      break;
  }
  d.data = std::move(data);
  return d;
}

}  // namespace certledger::domain
