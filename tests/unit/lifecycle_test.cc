// Every (state, command) pair has a defined answer. The expected table is
// written out here independently of lifecycle.cc, then checked twice: against
// lifecycle_verdict() and against decide() on real certificates driven into
// each state with real events.
#include "ledger/domain/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/unit/domain_helpers.h"

namespace certledger::domain {
namespace {

using testing::at;
using testing::Harness;

// A allowed, N no such certificate, E already issued, T terminal,
// W wrong state, X expired, for a kind that supports every operation.
//                      issue conv amend reiss renew review susp reinst cancel revoke withdr
// clang-format off
const std::map<LifecycleState, std::string> kTable = {
    {LifecycleState::none,      "AANNNNNNNNN"},
    {LifecycleState::active,    "EEAAAAAWAAA"},
    {LifecycleState::expired,   "EEXXAXWWAAA"},
    {LifecycleState::suspended, "EEAWWWWAAAA"},
    {LifecycleState::cancelled, "EETTTTTTTTT"},
    {LifecycleState::revoked,   "EETTTTTTTTT"},
    {LifecycleState::withdrawn, "EETTTTTTTTT"},
};
// clang-format on

Verdict from_letter(char c) {
  switch (c) {
    case 'A': return Verdict::allowed;
    case 'N': return Verdict::no_such_certificate;
    case 'E': return Verdict::already_issued;
    case 'T': return Verdict::terminal;
    case 'W': return Verdict::wrong_state;
    case 'X': return Verdict::expired;
  }
  return Verdict::kind_unsupported;
}

Verdict expected(const KindDescriptor& k, LifecycleState s, CommandType c) {
  Verdict v = from_letter(kTable.at(s)[static_cast<size_t>(c)]);
  const bool live = s == LifecycleState::active || s == LifecycleState::expired || s == LifecycleState::suspended;
  bool unsupported = (c == CommandType::renew && !k.renewable) || (c == CommandType::review && !k.reviewable) ||
                     ((c == CommandType::suspend || c == CommandType::reinstate) && !k.suspendable);
  if (live && unsupported) return Verdict::kind_unsupported;
  return v;
}

TEST(Lifecycle, VerdictTableForEveryKindStateAndCommand) {
  // The loops below cover every state and command: each state has a row
  // here, each command a column, and the names are distinct and parse back.
  std::set<std::string> states, commands;
  for (auto s : kAllStates) {
    EXPECT_TRUE(kTable.count(s)) << state_name(s);
    states.insert(state_name(s));
  }
  EXPECT_EQ(states.size(), kTable.size());
  for (auto c : kAllCommands) {
    EXPECT_EQ(parse_command(command_name(c)), c);
    EXPECT_LT(static_cast<size_t>(c), kTable.at(LifecycleState::none).size());
    commands.insert(command_name(c));
  }
  EXPECT_EQ(commands.size(), kTable.at(LifecycleState::none).size());
  for (const auto& k : all_kinds())
    for (auto s : kAllStates)
      for (auto c : kAllCommands)
        EXPECT_EQ(lifecycle_verdict(k, s, c), expected(k, s, c))
            << k.code << " " << state_name(s) << " " << command_name(c);
}

TEST(Lifecycle, TerminalStatesAreExactlyThree) {
  EXPECT_FALSE(is_terminal(CertStatus::active));
  EXPECT_FALSE(is_terminal(CertStatus::suspended));
  EXPECT_TRUE(is_terminal(CertStatus::cancelled));
  EXPECT_TRUE(is_terminal(CertStatus::revoked));
  EXPECT_TRUE(is_terminal(CertStatus::withdrawn));
}

TEST(Lifecycle, RolesFollowWhoApprovesAnswers) {
  for (auto c : kAllCommands) {
    EXPECT_TRUE(role_satisfies(Role::approver, required_role(c)));
    EXPECT_FALSE(role_satisfies(Role::clerk, required_role(c))) << command_name(c);
    EXPECT_FALSE(role_satisfies(Role::auditor, required_role(c)));
    EXPECT_FALSE(role_satisfies(Role::admin, required_role(c)));
  }
  for (auto c :
       {CommandType::issue, CommandType::revoke, CommandType::withdraw, CommandType::cancel, CommandType::suspend})
    EXPECT_EQ(required_role(c), Role::approver);
  EXPECT_TRUE(role_satisfies(Role::reviewer, required_role(CommandType::reissue)));
}

TEST(Lifecycle, NamesRoundTrip) {
  for (auto c : kAllCommands) {
    EXPECT_EQ(parse_command(command_name(c)), c);
    EXPECT_EQ(command_of_event_type(event_type(c)), c);
  }
  EXPECT_FALSE(parse_command("explode").has_value());
  for (auto r : {Role::clerk, Role::reviewer, Role::approver, Role::auditor, Role::admin})
    EXPECT_EQ(parse_role(role_name(r)), r);
}

// ---- the same table through decide() on real event histories ----

const Date kIssued{2024, 3, 1};

// A command that is valid in every respect except, possibly, the lifecycle.
CommandInput valid_command(Harness& h, const KindDescriptor& k, const CertificateState& s, CommandType c, Date today) {
  CommandInput cmd;
  cmd.type = c;
  switch (c) {
    case CommandType::issue:
    case CommandType::convert: {
      cmd = h.issue_cmd(k, today);
      cmd.type = c;
      if (s.exists) cmd.certificate_id = s.id;
      break;
    }
    case CommandType::amend: {
      const AmendReason& r = k.amend_reasons.front();
      cmd.reason = std::string(r.code);
      std::string field(r.fields.front());
      nlohmann::json v =
          k.field(field)->type == FieldType::uscc ? nlohmann::json(h.gen.uscc()) : nlohmann::json("新的值甲乙");
      cmd.changes = {{field, v}};
      break;
    }
    case CommandType::reissue: cmd.reason = "lost"; break;
    case CommandType::renew:
    case CommandType::review: {
      Date base = s.valid_until() ? std::max(*s.valid_until(), today) : today;
      cmd.valid_until = base.plus_years(std::max(k.validity_years, 1) - 1).plus_days(200).to_string();
      break;
    }
    default: cmd.reason = "依据检查结果"; break;
  }
  return cmd;
}

// Drives a fresh certificate of kind k into state s; returns the time to act at.
UnixMillis drive(Harness& h, const KindDescriptor& k, CertificateState& st, LifecycleState s) {
  UnixMillis now = at(kIssued);
  if (s == LifecycleState::none) return now;
  EXPECT_TRUE(h.run(st, h.issue_cmd(k, kIssued), now).ok());
  auto status_change = [&](CommandType c) {
    CommandInput cmd;
    cmd.type = c;
    cmd.reason = "测试";
    auto r = h.run(st, cmd, now + 1000);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  };
  switch (s) {
    case LifecycleState::expired: return at(st.valid_until()->plus_days(10));
    case LifecycleState::suspended: status_change(CommandType::suspend); break;
    case LifecycleState::cancelled: status_change(CommandType::cancel); break;
    case LifecycleState::revoked: status_change(CommandType::revoke); break;
    case LifecycleState::withdrawn: status_change(CommandType::withdraw); break;
    default: break;
  }
  return now + 2000;
}

Errc errc_of(Verdict v) {
  switch (v) {
    case Verdict::no_such_certificate: return Errc::not_found;
    case Verdict::already_issued: return Errc::already_exists;
    default: return Errc::rule_violation;
  }
}

TEST(Lifecycle, DecideAnswersEveryPairOnRealHistories) {
  int checked = 0;
  for (const auto& k : all_kinds())
    for (auto s : kAllStates) {
      if (s == LifecycleState::expired && !k.has_expiry()) continue;
      if (s == LifecycleState::suspended && !k.suspendable) continue;
      for (auto c : kAllCommands) {
        Harness h;
        CertificateState st;
        UnixMillis now = drive(h, k, st, s);
        ASSERT_EQ(st.lifecycle(china_date(now)), s) << k.code;
        CommandInput cmd = valid_command(h, k, st, c, china_date(now));
        cmd.actor = Harness::approver();
        auto r = decide(st, cmd, h.ctx(now));
        Verdict v = expected(k, s, c);
        SCOPED_TRACE(std::string(k.code) + " " + state_name(s) + " " + command_name(c));
        if (v == Verdict::allowed) {
          EXPECT_TRUE(r.ok()) << r.error().to_string();
          if (r.ok()) {
            EXPECT_EQ(r->type, event_type(c));
          }
        } else {
          ASSERT_FALSE(r.ok());
          EXPECT_EQ(r.error().code, errc_of(v)) << r.error().message;
        }
        ++checked;
      }
    }
  EXPECT_GT(checked, 500);
}

}  // namespace
}  // namespace certledger::domain
