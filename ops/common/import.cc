#include "ops/common/import.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/domain/kinds.h"
#include "ledger/domain/validate.h"
#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/json.h"
#include "ledger/util/utf8.h"

namespace certledger::ops {

using nlohmann::json;
namespace fs = std::filesystem;

json ImportReport::to_json() const {
  json errs = json::array();
  for (const auto& [line, why] : errors) errs.push_back({{"line", line}, {"reason", why}});
  return {{"rows", rows}, {"converted", converted}, {"skipped", skipped}, {"rejected", rejected}, {"errors", errs}};
}

namespace {

// RFC 4180 records; returns each record with the line it starts on.
std::vector<std::pair<size_t, std::vector<std::string>>> parse_csv(const std::string& text) {
  std::vector<std::pair<size_t, std::vector<std::string>>> out;
  std::vector<std::string> rec;
  std::string cell;
  bool quoted = false, any = false;
  size_t line = 1, start = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rec.push_back(cell);
      cell.clear();
      any = true;
    } else if (c == '\r') {
    } else if (c == '\n') {
      if (any || !cell.empty()) {
        rec.push_back(cell);
        out.emplace_back(start, rec);
      }
      rec.clear();
      cell.clear();
      any = false;
      start = ++line;
    } else {
      cell += c;
      any = true;
    }
  }
  if (any || !cell.empty()) {
    rec.push_back(cell);
    out.emplace_back(start, rec);
  }
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto t = trim(cur);
    if (!t.empty()) out.push_back(t);
    cur.clear();
  };
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "；") == 0) {
      flush();
      i += 3;
    } else if (s[i] == ';' || s[i] == '|') {
      flush();
      ++i;
    } else {
      cur += s[i++];
    }
  }
  flush();
  return out;
}

// Header cell -> field name of the kind (code name or printed label).
std::string field_name(const domain::KindDescriptor& k, const std::string& header) {
  if (k.field(header)) return header;
  for (const auto& f : k.fields)
    if (f.label == header) return std::string(f.name);
  return header;  // unknown: validation names it
}

}  // namespace

Result<std::vector<ImportRow>> read_import_file(const std::string& path, const std::string& default_kind) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const bool jsonl =
      path.size() > 6 && (path.substr(path.size() - 6) == ".jsonl" || path.substr(path.size() - 5) == ".json");
  return parse_import_text(ss.str(), jsonl, default_kind, path);
}

Result<std::vector<ImportRow>> parse_import_text(std::string text, bool jsonl, const std::string& default_kind,
                                                 const std::string& source) {
  if (text.compare(0, 3, "\xef\xbb\xbf") == 0) text.erase(0, 3);  // BOM
  if (!is_valid_utf8(text)) return malformed_input(source + " is not UTF-8");
  std::vector<ImportRow> rows;
  if (jsonl) {
    std::istringstream lines(text);
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (trim(line).empty()) continue;
      ImportRow r;
      r.line = n;
      auto j = parse_json(line, "the row");
      if (!j.ok()) {
        r.error = j.error().message;
      } else if (!j->is_object()) {
        r.error = "not a JSON object";
      } else if (j->contains("kind") && !(*j)["kind"].is_string()) {
        r.error = "\"kind\" must be a string";
      } else if (!j->contains("fields")) {
        r.error = "needs a \"fields\" object";
      } else if (auto shape = domain::check_field_shapes((*j)["fields"], "fields"); !shape.ok()) {
        r.error = shape.error().message;
      } else {
        r.kind = j->value("kind", default_kind);
        r.fields = std::move((*j)["fields"]);
      }
      rows.push_back(std::move(r));
    }
    return rows;
  }
  auto recs = parse_csv(text);
  if (recs.empty()) return rows;
  std::vector<std::string> header;
  for (auto& h : recs[0].second) header.push_back(trim(h));
  for (size_t i = 1; i < recs.size(); ++i) {
    ImportRow r;
    r.line = recs[i].first;
    const auto& cells = recs[i].second;
    if (cells.size() != header.size()) {
      r.error = "has " + std::to_string(cells.size()) + " cells, the header has " + std::to_string(header.size());
      rows.push_back(std::move(r));
      continue;
    }
    r.kind = default_kind;
    for (size_t c = 0; c < header.size(); ++c)
      if (header[c] == "kind" || header[c] == "证书种类") r.kind = trim(cells[c]);
    const auto* k = domain::find_kind(r.kind);
    if (!k) {
      r.error = "unknown kind \"" + r.kind + "\"";
      rows.push_back(std::move(r));
      continue;
    }
    r.fields = json::object();
    for (size_t c = 0; c < header.size(); ++c) {
      if (header[c] == "kind" || header[c] == "证书种类") continue;
      std::string v = trim(cells[c]);
      if (v.empty()) continue;
      std::string name = field_name(*k, header[c]);
      const auto* spec = k->field(name);
      if (spec && spec->type == domain::FieldType::text_list) r.fields[name] = split_list(v);
      else r.fields[name] = v;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

Result<ImportReport> import_file(Ledger& ledger, const std::string& path, const ImportOptions& o) {
  CL_ASSIGN(auto rows, read_import_file(path, o.kind));
  ImportReport rep;
  rep.rows = rows.size();
  const fs::path base = fs::path(path).parent_path();
  size_t done = 0;
  for (auto& r : rows) {
    auto reject = [&](const std::string& why) {
      ++rep.rejected;
      rep.errors.emplace_back(r.line, why);
    };
    if (o.progress) o.progress(++done, rows.size());
    if (!r.error.empty()) {
      reject(r.error);
      continue;
    }
    // A photo is a path next to the file, or a data: URL.
    if (auto ph = r.fields.find("photo"); ph != r.fields.end() && ph->is_string()) {
      std::string v = ph->get<std::string>(), bytes;
      if (v.rfind("data:", 0) == 0 && v.find("base64,") != std::string::npos) {
        auto b = base64_decode(v.substr(v.find("base64,") + 7));
        if (!b) {
          reject("photo: not base64");
          continue;
        }
        bytes = *b;
      } else if (v.rfind("sha256:", 0) != 0) {
        std::ifstream img(base / v, std::ios::binary);
        if (!img) {
          reject("photo: cannot read " + (base / v).string());
          continue;
        }
        std::stringstream is;
        is << img.rdbuf();
        bytes = is.str();
      }
      if (!bytes.empty()) {
        auto ref = ledger.put_blob(o.authority, bytes);
        if (!ref.ok()) {
          reject("photo: " + ref.error().message);
          continue;
        }
        r.fields["photo"] = *ref;
      }
    }
    domain::CommandInput c;
    c.type = domain::CommandType::convert;
    c.kind = r.kind;
    c.fields = r.fields;
    c.actor = {o.operator_id, o.role, {}};
    ExecOptions eo;
    // The row's content names it: the same row is the same conversion.
    eo.idempotency_key = "import:" + hash_hex(sha256(r.kind + "\n" + r.fields.dump()));
    auto out = ledger.execute(o.authority, c, eo);
    if (!out.ok()) {
      const auto& e = out.error();
      reject(e.field.empty() ? e.message : e.field + ": " + e.message);
      if (e.code == Errc::unavailable || e.code == Errc::io_error) return e;  // stop: the store refuses writes
      continue;
    }
    if (out->replayed) ++rep.skipped;
    else ++rep.converted;
  }
  return rep;
}

}  // namespace certledger::ops
