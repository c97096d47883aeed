#include "ledger/merkle/policy.h"

#include <algorithm>
#include <map>

#include "ledger/merkle/checkpoint.h"
#include "ledger/merkle/cosignature.h"
#include "ledger/util/encoding.h"

namespace certledger::merkle {

namespace {

// Items of a line, split on runs of spaces and tabs (the spec's whitespace).
std::vector<std::string_view> items_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// Limits well above the spec's recommended minimum (32 of each).
constexpr size_t kMaxLogs = 256, kMaxWitnesses = 256, kMaxGroups = 256;

}  // namespace

Result<Policy> Policy::parse(std::string_view text) {
  Policy p;
  std::map<std::string, int, std::less<>> names;  // witnesses and groups share one namespace
  bool have_quorum = false;
  size_t line_no = 0;
  for (std::string_view line : split_lines(text)) {
    ++line_no;
    auto fail = [&](const std::string& why) {
      return make_error(Errc::invalid_argument, "policy line " + std::to_string(line_no) + ": " + why);
    };
    for (unsigned char ch : line)
      if (ch < 0x20 ? ch != '\t' : ch == 0x7f) return fail("a control character");
    auto it = items_of(line);
    if (it.empty() || it[0].starts_with("#")) continue;
    const std::string_view kw = it[0];
    if (kw == "log") {
      if (it.size() < 2 || it.size() > 3) return fail("expected: log <vkey> [<url>]");
      auto v = parse_note_verifier_key(it[1]);
      if (!v.ok()) return fail(v.error().message);
      for (const auto& l : p.logs_)
        if (l.key.raw() == v->second.raw()) return fail("a log listed twice");
      if (p.logs_.size() == kMaxLogs) return fail("too many logs");
      p.logs_.push_back({v->first, std::move(v->second), it.size() == 3 ? std::string(it[2]) : ""});
    } else if (kw == "witness") {
      if (it.size() < 3 || it.size() > 4) return fail("expected: witness <name> <vkey> [<url>]");
      if (it[1] == "none" || names.contains(it[1])) return fail("the name " + std::string(it[1]) + " is taken");
      auto v = parse_cosigner_verifier_key(it[2]);
      if (!v.ok()) return fail(v.error().message);
      for (const auto& w : p.witnesses_)
        if (w.key.raw() == v->second.raw()) return fail("a witness listed twice");
      if (p.witnesses_.size() == kMaxWitnesses) return fail("too many witnesses");
      names.emplace(std::string(it[1]), static_cast<int>(p.witnesses_.size()));
      p.witnesses_.push_back(
          {std::string(it[1]), v->first, std::move(v->second), it.size() == 4 ? std::string(it[3]) : ""});
    } else if (kw == "group") {
      if (it.size() < 4) return fail("expected: group <name> all|any|<k> <member>...");
      if (it[1] == "none" || names.contains(it[1])) return fail("the name " + std::string(it[1]) + " is taken");
      if (p.groups_.size() == kMaxGroups) return fail("too many groups");
      Group g{std::string(it[1]), 0, {}};
      for (size_t i = 3; i < it.size(); ++i) {
        auto m = names.find(it[i]);
        if (m == names.end()) return fail("member " + std::string(it[i]) + " is not defined on an earlier line");
        if (std::find(g.members.begin(), g.members.end(), m->second) != g.members.end())
          return fail("member " + std::string(it[i]) + " listed twice");
        g.members.push_back(m->second);
      }
      const size_t n = g.members.size();
      if (it[2] == "all") {
        g.k = n;
      } else if (it[2] == "any") {
        g.k = 1;
      } else {
        auto k = parse_decimal(it[2]);
        if (!k || *k < 1 || *k > n) return fail("the threshold must be all, any or 1.." + std::to_string(n));
        g.k = static_cast<size_t>(*k);
      }
      names.emplace(g.name, -static_cast<int>(p.groups_.size()) - 1);
      p.groups_.push_back(std::move(g));
    } else if (kw == "quorum") {
      if (it.size() != 2) return fail("expected: quorum <name>");
      if (have_quorum) return fail("a second quorum line");
      have_quorum = true;
      if (it[1] != "none") {
        auto m = names.find(it[1]);
        if (m == names.end()) return fail("quorum " + std::string(it[1]) + " is not defined on an earlier line");
        p.quorum_ = m->second;
      }
    } else {
      return fail("unknown keyword " + std::string(kw));
    }
  }
  if (!have_quorum) return make_error(Errc::invalid_argument, "policy: no quorum line");
  return p;
}

Result<Policy> Policy::threshold(std::vector<PolicyLog> logs, std::vector<PolicyWitness> witnesses, size_t k) {
  if (k > witnesses.size())
    return make_error(Errc::invalid_argument, "a quorum of " + std::to_string(k) + " needs as many witnesses, got " +
                                                  std::to_string(witnesses.size()));
  std::string text;
  for (const auto& l : logs)
    text += "log " + note_verifier_key(l.origin, l.key) + (l.url.empty() ? "" : " " + l.url) + "\n";
  std::string members;
  for (const auto& w : witnesses) {
    text += "witness " + w.name + " " + cosigner_verifier_key(w.key_name, w.key) + (w.url.empty() ? "" : " " + w.url) +
            "\n";
    members += " " + w.name;
  }
  if (k == 0) return parse(text + "quorum none\n");
  // The group's name must not clash with a witness's.
  std::string group = "quorum";
  while (std::any_of(witnesses.begin(), witnesses.end(), [&](const PolicyWitness& w) { return w.name == group; }))
    group += "_";
  return parse(text + "group " + group + " " + std::to_string(k) + members + "\nquorum " + group + "\n");
}

std::string Policy::member_name(int node) const {
  return node >= 0 ? witnesses_[static_cast<size_t>(node)].name : groups_[static_cast<size_t>(-node - 1)].name;
}

std::string Policy::text() const {
  std::string out;
  for (const auto& l : logs_)
    out += "log " + note_verifier_key(l.origin, l.key) + (l.url.empty() ? "" : " " + l.url) + "\n";
  for (const auto& w : witnesses_)
    out += "witness " + w.name + " " + cosigner_verifier_key(w.key_name, w.key) + (w.url.empty() ? "" : " " + w.url) +
           "\n";
  for (const auto& g : groups_) {
    out += "group " + g.name + " " + std::to_string(g.k);
    for (int m : g.members) out += " " + member_name(m);
    out += "\n";
  }
  out += "quorum " + (quorum_ ? member_name(*quorum_) : std::string("none")) + "\n";
  return out;
}

std::string Policy::describe() const {
  if (!quorum_) return "none";
  if (*quorum_ >= 0) return "the witness " + member_name(*quorum_);
  const Group& g = groups_[static_cast<size_t>(-*quorum_ - 1)];
  std::string out = std::to_string(g.k) + " of ";
  for (size_t i = 0; i < g.members.size(); ++i) out += (i ? ", " : "") + member_name(g.members[i]);
  return out;
}

bool Policy::satisfied(int node, const std::vector<bool>& cosigned) const {
  if (node >= 0) return cosigned[static_cast<size_t>(node)];
  const Group& g = groups_[static_cast<size_t>(-node - 1)];
  size_t n = 0;
  for (int m : g.members) n += satisfied(m, cosigned);
  return n >= g.k;
}

Result<Policy::Verdict> Policy::check(std::string_view note) const {
  Verdict v;
  std::vector<bool> cosigned(witnesses_.size());
  for (size_t i = 0; i < witnesses_.size(); ++i) {
    CL_ASSIGN(auto t, verify_cosignature(note, witnesses_[i].key_name, witnesses_[i].key));
    if (t) {
      cosigned[i] = true;
      v.cosigned.push_back(witnesses_[i].name);
    }
  }
  v.met = !quorum_ || satisfied(*quorum_, cosigned);
  return v;
}

std::string Policy::shortfall(const Verdict& v) const {
  std::string by;
  for (const auto& n : v.cosigned) by += (by.empty() ? "" : ", ") + n;
  return "below the witness quorum (" + describe() + "): cosigned by " + (by.empty() ? std::string("none") : by);
}

}  // namespace certledger::merkle
