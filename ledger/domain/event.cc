#include "ledger/domain/event.h"

#include "ledger/util/json.h"
#include "ledger/util/json_scan.h"

namespace certledger::domain {

using nlohmann::json;

std::string serialize_event(const Event& e) {
  // The members in key order, as a dump of the object would write them
  // (tests/unit/util_test.cc holds this to it), without copying data and
  // actor into a new tree.
  std::string out;
  out.reserve(1024);
  out += R"({"actor":)";
  json_dump_to(out, e.actor);
  out += R"(,"authority":)";
  json_dump_to(out, json(e.authority));
  out += R"(,"data":)";
  json_dump_to(out, e.data);
  out += R"(,"id":)";
  json_dump_to(out, json(e.id));
  if (!e.kind.empty()) {
    out += R"(,"kind":)";
    json_dump_to(out, json(e.kind));
  }
  out += R"(,"prev":)";
  json_dump_to(out, e.prev.empty() ? json(nullptr) : json(e.prev));
  out += R"(,"seq":)";
  json_dump_to(out, json(e.seq));
  out += R"(,"stream":)";
  json_dump_to(out, json(e.stream));
  out += R"(,"time":)";
  json_dump_to(out, json(format_rfc3339_ms(e.time)));
  out += R"(,"type":)";
  json_dump_to(out, json(e.type));
  out += R"(,"v":)";
  json_dump_to(out, json(e.v));
  out += '}';
  return out;
}

namespace {

Error bad(std::string msg) { return make_error(Errc::corruption, "event: " + std::move(msg)); }

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Result<Event> parse_event(std::string_view bytes) {
  auto parsed = parse_json(bytes, "the event");
  if (!parsed.ok()) return bad(parsed.error().message);
  json j = std::move(*parsed);
  if (!j.is_object()) return bad("not a JSON object");
  static const char* known[] = {"v",    "id",    "type", "stream", "seq", "authority",
                                "kind", "actor", "time", "data",   "prev"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || it.key() == k;
    if (!ok) return bad("unknown member \"" + it.key() + "\"");
  }
  Event e;
  auto str = [&](const char* k, std::string& out, bool required) -> Status {
    auto it = j.find(k);
    if (it == j.end()) return required ? Status(bad(std::string("missing \"") + k + "\"")) : Status();
    if (!it->is_string()) return bad(std::string("\"") + k + "\" must be a string");
    out = it->get<std::string>();
    return {};
  };
  if (!j.contains("v") || !j["v"].is_number_integer()) return bad("missing format version \"v\"");
  e.v = j["v"].get<int>();
  if (e.v < kOldestEventFormatVersion || e.v > kEventFormatVersion)
    return bad("unsupported format version " + std::to_string(e.v));
  CL_TRY(str("id", e.id, true));
  CL_TRY(str("type", e.type, true));
  CL_TRY(str("stream", e.stream, true));
  CL_TRY(str("authority", e.authority, true));
  CL_TRY(str("kind", e.kind, false));
  if (!j.contains("seq") || !j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() == 0)
    return bad("\"seq\" must be a positive integer");
  e.seq = j["seq"].get<uint64_t>();
  std::string time;
  CL_TRY(str("time", time, true));
  auto t = parse_rfc3339(time);
  if (!t) return bad("\"time\" is not RFC 3339");
  e.time = *t;
  if (!j.contains("actor") || !j["actor"].is_object()) return bad("\"actor\" must be an object");
  e.actor = std::move(j["actor"]);  // moved, not copied: j is ours
  if (!j.contains("data") || !j["data"].is_object()) return bad("\"data\" must be an object");
  e.data = std::move(j["data"]);
  auto prev = j.find("prev");
  if (prev == j.end()) return bad("missing \"prev\"");
  if (prev->is_null()) {
    if (e.seq != 1) return bad("\"prev\" is null but seq is " + std::to_string(e.seq));
  } else {
    if (!prev->is_string() || prev->get_ref<const std::string&>().size() != 64 ||
        !is_lower_hex(prev->get_ref<const std::string&>()))
      return bad("\"prev\" must be 64 lower-case hex digits or null");
    if (e.seq == 1) return bad("first event of a stream has a \"prev\"");
    e.prev = prev->get<std::string>();
  }
  return e;
}

namespace {

Result<EventEnvelope> envelope_of_full_parse(std::string_view bytes) {
  CL_ASSIGN(Event e, parse_event(bytes));
  EventEnvelope env;
  env.v = e.v;
  env.type = std::move(e.type);
  env.stream = std::move(e.stream);
  env.authority = std::move(e.authority);
  env.kind = std::move(e.kind);
  env.seq = e.seq;
  env.time = e.time;
  return env;
}

}  // namespace

Result<EventEnvelope> parse_event_envelope(std::string_view bytes) {
  EventEnvelope env;
  std::string_view v, seq, time;
  bool have_type = false, have_stream = false, have_authority = false, need_full_parse = false;
  std::string wrong_type;
  const bool well_formed = scan_json_object(bytes, [&](const JsonMember& m) {
    if (m.key_escaped || m.escaped) {
      need_full_parse = true;  // the raw text is not the value: let the strict parser say
      return;
    }
    std::string* target = nullptr;
    bool* seen = nullptr;
    if (m.key == "type") target = &env.type, seen = &have_type;
    else if (m.key == "stream") target = &env.stream, seen = &have_stream;
    else if (m.key == "authority") target = &env.authority, seen = &have_authority;
    else if (m.key == "kind") target = &env.kind;
    else if (m.key == "v") v = m.kind == JsonMember::Kind::scalar ? m.raw : "x";
    else if (m.key == "seq") seq = m.kind == JsonMember::Kind::scalar ? m.raw : "x";
    else if (m.key == "time") time = m.kind == JsonMember::Kind::string ? m.raw : "x";
    if (!target) return;
    if (m.kind != JsonMember::Kind::string) wrong_type = m.key;
    *target = std::string(m.raw);
    if (seen) *seen = true;
  });
  if (!well_formed) return bad("not a JSON object");
  if (need_full_parse) return envelope_of_full_parse(bytes);
  if (!wrong_type.empty()) return bad("\"" + wrong_type + "\" must be a string");
  auto version = json_uint(v);
  if (!version) return bad("missing format version \"v\"");
  if (*version < kOldestEventFormatVersion || *version > kEventFormatVersion)
    return bad("unsupported format version " + std::string(v));
  env.v = static_cast<int>(*version);
  if (!have_type) return bad("missing \"type\"");
  if (!have_stream) return bad("missing \"stream\"");
  if (!have_authority) return bad("missing \"authority\"");
  auto n = json_uint(seq);
  if (!n || *n == 0) return bad("\"seq\" must be a positive integer");
  env.seq = *n;
  if (time.empty()) return bad("missing \"time\"");
  auto t = parse_rfc3339(time);
  if (!t) return bad("\"time\" is not RFC 3339");
  env.time = *t;
  return env;
}

bool is_certificate_id(std::string_view s) {
  if (s.size() != 26) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) || c == 'I' || c == 'L' || c == 'O' || c == 'U')
      return false;
  return true;
}

std::string authority_stream(std::string_view code) { return "authority:" + std::string(code); }
std::string report_stream(std::string_view code) { return "report:" + std::string(code); }
std::string holder_stream(std::string_view ref) { return "holder:" + std::string(ref); }

Status check_authority_code(std::string_view code) {
  if (code.size() < 2 || code.size() > 32)
    return make_error(Errc::invalid_argument, "authority code must be 2-32 characters", "code");
  if (!(code[0] >= 'A' && code[0] <= 'Z'))
    return make_error(Errc::invalid_argument, "authority code must start with A-Z", "code");
  for (char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return make_error(Errc::invalid_argument, "authority code may only hold A-Z, 0-9 and '-'", "code");
  return {};
}

}  // namespace certledger::domain
