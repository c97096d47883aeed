// The certificate lifecycle: states, commands, and the defined answer for
// every (state, command) pair. Expired is never stored; it is derived from
// valid_until and the clock and appears here only as an evaluation state.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "ledger/domain/kinds.h"
#include "ledger/util/result.h"

namespace certledger::domain {

enum class CertStatus : uint8_t { active, suspended, cancelled, revoked, withdrawn };

enum class CommandType : uint8_t {
  issue,      // 核准 / 首次申请
  convert,    // 换发: a paper certificate still in force becomes electronic
  amend,      // 变更 / 增项 / 升级
  reissue,    // 遗失补办 / 补证
  renew,      // 延续
  review,     // 复核 (personnel)
  suspend,    // 暂扣
  reinstate,  // 恢复
  cancel,     // 注销
  revoke,     // 吊销
  withdraw,   // 撤销
};
inline constexpr std::array kAllCommands = {CommandType::issue,   CommandType::convert,   CommandType::amend,
                                            CommandType::reissue, CommandType::renew,     CommandType::review,
                                            CommandType::suspend, CommandType::reinstate, CommandType::cancel,
                                            CommandType::revoke,  CommandType::withdraw};

// The state a command is judged against.
enum class LifecycleState : uint8_t { none, active, expired, suspended, cancelled, revoked, withdrawn };
inline constexpr std::array kAllStates = {LifecycleState::none,      LifecycleState::active,    LifecycleState::expired,
                                          LifecycleState::suspended, LifecycleState::cancelled, LifecycleState::revoked,
                                          LifecycleState::withdrawn};

enum class Verdict : uint8_t {
  allowed,
  no_such_certificate,  // any command but issue/convert before issuance
  already_issued,       // issue/convert on an existing certificate
  terminal,             // cancelled, revoked and withdrawn accept nothing
  wrong_state,          // e.g. reinstate when not suspended, reissue while suspended
  expired,              // amend/reissue/review after expiry: renew first
  kind_unsupported,     // e.g. suspend a design qualification, renew a training certificate
};

// Roles of an authority's staff. The approver answers for the decision
// (谁审批谁负责).
// institution: a testing institution's own staff; registers test reports,
// never acts on certificates.
enum class Role : uint8_t { clerk, reviewer, approver, auditor, admin, institution };

bool is_terminal(CertStatus s);
LifecycleState lifecycle_state(bool exists, CertStatus status, bool expired);
Verdict lifecycle_verdict(const KindDescriptor& kind, LifecycleState state, CommandType command);
// Issue, amend, renew, review, suspend, reinstate, cancel, revoke and
// withdraw need an approver; reissue and convert record no new decision and
// may be done by a reviewer.
Role required_role(CommandType command);
bool role_satisfies(Role have, Role need);
// forbidden unless `have` may make `command` (role_satisfies its
// required_role), saying which role it needs.
Status check_role(Role have, CommandType command);
// Whether the command produces a new document version with a new QR token.
bool makes_new_version(CommandType command);

const char* status_name(CertStatus s);  // active, suspended, ...
const char* state_name(LifecycleState s);
const char* command_name(CommandType c);  // issue, convert, ...
const char* event_type(CommandType c);    // certificate.issued, ...
const char* verdict_name(Verdict v);
const char* role_name(Role r);
std::optional<CommandType> parse_command(std::string_view name);
std::optional<CommandType> command_of_event_type(std::string_view type);
std::optional<Role> parse_role(std::string_view name);
std::optional<CertStatus> parse_status(std::string_view name);

// Public status words, Chinese first (doc/domain.md, "Lifecycle").
inline constexpr std::string_view kWordValid = "有效";
inline constexpr std::string_view kWordExpired = "已过期";
inline constexpr std::string_view kWordSuspended = "暂扣";
inline constexpr std::string_view kWordCancelled = "已注销";
inline constexpr std::string_view kWordRevoked = "已吊销";
inline constexpr std::string_view kWordWithdrawn = "已撤销";
inline constexpr std::string_view kWordSuperseded = "已作废";

}  // namespace certledger::domain
