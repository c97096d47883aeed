#include "api/handlers.h"

#include <chrono>

#include "ledger/util/encoding.h"

namespace certledger::api::handlers {

using nlohmann::json;

Response answer_guarded(const std::function<Response()>& answer, double& seconds) {
  const auto start = std::chrono::steady_clock::now();
  Response r;
  try {
    r = answer();
  } catch (const std::exception& e) {
    r = problem(500, "internal", "Internal error", e.what());
    r.route = "error";
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Response not_found_json(std::string detail) {
  return problem(404, "not-found", "Not found", std::move(detail), {}, "未找到");
}

void no_store(Response& r) { r.set("Cache-Control", "no-store"); }

Result<std::string> string_member(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return make_error(Errc::invalid_argument, std::string(name) + " is required", name);
    return std::string();
  }
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string(name) + " must be a string", name);
  return it->get<std::string>();
}

Result<std::vector<domain::ApprovalStep>> approval_trail(const json& j) {
  std::vector<domain::ApprovalStep> out;
  auto it = j.find("approval");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return make_error(Errc::invalid_argument, "approval must be a list of steps", "approval");
  for (const auto& s : *it) {
    if (!s.is_object() || !s.contains("step") || !s.contains("operator") || !s["step"].is_string() ||
        !s["operator"].is_string() || (s.contains("opinion") && !s["opinion"].is_string()))
      return make_error(Errc::invalid_argument,
                        "each approval step is {\"step\", \"operator\", \"opinion\"?} with strings", "approval");
    out.push_back({s["step"], s["operator"], s.value("opinion", "")});
  }
  return out;
}

Error bad_body(const Error& e) {
  Error out = e;
  if (out.code == Errc::invalid_argument && out.field.empty()) out.field = "body";
  return out;
}

Response error_response(const Error& e) {
  if (e.code == Errc::invalid_argument && (e.field == "body" || e.detail == Detail::malformed))
    return bad_request(e.message, e.field);
  return problem_from(e);
}

}  // namespace certledger::api::handlers
