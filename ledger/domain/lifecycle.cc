#include "ledger/domain/lifecycle.h"

namespace certledger::domain {

bool is_terminal(CertStatus s) {
  return s == CertStatus::cancelled || s == CertStatus::revoked || s == CertStatus::withdrawn;
}

LifecycleState lifecycle_state(bool exists, CertStatus status, bool expired) {
  if (!exists) return LifecycleState::none;
  switch (status) {
    case CertStatus::active: return expired ? LifecycleState::expired : LifecycleState::active;
    case CertStatus::suspended: return LifecycleState::suspended;
    case CertStatus::cancelled: return LifecycleState::cancelled;
    case CertStatus::revoked: return LifecycleState::revoked;
    case CertStatus::withdrawn: return LifecycleState::withdrawn;
  }
  return LifecycleState::none;
}

namespace {

bool kind_supports(const KindDescriptor& kind, CommandType c) {
  switch (c) {
    case CommandType::renew: return kind.renewable;
    case CommandType::review: return kind.reviewable;
    case CommandType::suspend:
    case CommandType::reinstate: return kind.suspendable;
    case CommandType::amend: return !kind.amend_reasons.empty();
    default: return true;
  }
}

}  // namespace

Verdict lifecycle_verdict(const KindDescriptor& kind, LifecycleState state, CommandType c) {
  const bool creates = c == CommandType::issue || c == CommandType::convert;
  if (state == LifecycleState::none) return creates ? Verdict::allowed : Verdict::no_such_certificate;
  if (creates) return Verdict::already_issued;
  if (state == LifecycleState::cancelled || state == LifecycleState::revoked || state == LifecycleState::withdrawn)
    return Verdict::terminal;
  if (!kind_supports(kind, c)) return Verdict::kind_unsupported;
  switch (state) {
    case LifecycleState::active: return c == CommandType::reinstate ? Verdict::wrong_state : Verdict::allowed;
    case LifecycleState::expired:
      switch (c) {
        case CommandType::renew:
        case CommandType::cancel:
        case CommandType::revoke:
        case CommandType::withdraw: return Verdict::allowed;
        case CommandType::amend:
        case CommandType::reissue:
        case CommandType::review: return Verdict::expired;
        default: return Verdict::wrong_state;  // suspend, reinstate
      }
    case LifecycleState::suspended:
      switch (c) {
        case CommandType::amend:
        case CommandType::reinstate:
        case CommandType::cancel:
        case CommandType::revoke:
        case CommandType::withdraw: return Verdict::allowed;
        default: return Verdict::wrong_state;  // reissue, renew, review, suspend
      }
    default: return Verdict::terminal;
  }
}

Role required_role(CommandType c) {
  return c == CommandType::reissue || c == CommandType::convert ? Role::reviewer : Role::approver;
}

Status check_role(Role have, CommandType c) {
  if (role_satisfies(have, required_role(c))) return {};
  return make_error(Errc::forbidden, std::string(command_name(c)) + " needs the " + role_name(required_role(c)) +
                                         " role, not " + role_name(have));
}

bool role_satisfies(Role have, Role need) {
  auto rank = [](Role r) {
    switch (r) {
      case Role::clerk: return 1;
      case Role::reviewer: return 2;
      case Role::approver: return 3;
      default: return 0;  // auditor and admin never act on certificates
    }
  };
  return rank(have) >= rank(need) && rank(have) > 0;
}

bool makes_new_version(CommandType c) {
  switch (c) {
    case CommandType::issue:
    case CommandType::convert:
    case CommandType::amend:
    case CommandType::reissue:
    case CommandType::renew:
    case CommandType::review: return true;
    default: return false;
  }
}

const char* status_name(CertStatus s) {
  switch (s) {
    case CertStatus::active: return "active";
    case CertStatus::suspended: return "suspended";
    case CertStatus::cancelled: return "cancelled";
    case CertStatus::revoked: return "revoked";
    case CertStatus::withdrawn: return "withdrawn";
  }
  return "active";
}

const char* state_name(LifecycleState s) {
  switch (s) {
    case LifecycleState::none: return "none";
    case LifecycleState::active: return "active";
    case LifecycleState::expired: return "expired";
    case LifecycleState::suspended: return "suspended";
    case LifecycleState::cancelled: return "cancelled";
    case LifecycleState::revoked: return "revoked";
    case LifecycleState::withdrawn: return "withdrawn";
  }
  return "none";
}

namespace {
struct CommandNames {
  CommandType c;
  const char* name;
  const char* event;
};
constexpr CommandNames kCommandNames[] = {
    {CommandType::issue, "issue", "certificate.issued"},
    {CommandType::convert, "convert", "certificate.converted"},
    {CommandType::amend, "amend", "certificate.amended"},
    {CommandType::reissue, "reissue", "certificate.reissued"},
    {CommandType::renew, "renew", "certificate.renewed"},
    {CommandType::review, "review", "certificate.reviewed"},
    {CommandType::suspend, "suspend", "certificate.suspended"},
    {CommandType::reinstate, "reinstate", "certificate.reinstated"},
    {CommandType::cancel, "cancel", "certificate.cancelled"},
    {CommandType::revoke, "revoke", "certificate.revoked"},
    {CommandType::withdraw, "withdraw", "certificate.withdrawn"},
};
}  // namespace

const char* command_name(CommandType c) { return kCommandNames[static_cast<int>(c)].name; }
const char* event_type(CommandType c) { return kCommandNames[static_cast<int>(c)].event; }

std::optional<CommandType> parse_command(std::string_view name) {
  for (const auto& n : kCommandNames)
    if (name == n.name) return n.c;
  return std::nullopt;
}

std::optional<CommandType> command_of_event_type(std::string_view type) {
  for (const auto& n : kCommandNames)
    if (type == n.event) return n.c;
  return std::nullopt;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::allowed: return "allowed";
    case Verdict::no_such_certificate: return "no_such_certificate";
    case Verdict::already_issued: return "already_issued";
    case Verdict::terminal: return "terminal";
    case Verdict::wrong_state: return "wrong_state";
    case Verdict::expired: return "expired";
    case Verdict::kind_unsupported: return "kind_unsupported";
  }
  return "allowed";
}

const char* role_name(Role r) {
  switch (r) {
    case Role::clerk: return "clerk";
    case Role::reviewer: return "reviewer";
    case Role::approver: return "approver";
    case Role::auditor: return "auditor";
    case Role::admin: return "admin";
    case Role::institution: return "institution";
  }
  return "clerk";
}

std::optional<Role> parse_role(std::string_view n) {
  for (Role r : {Role::clerk, Role::reviewer, Role::approver, Role::auditor, Role::admin, Role::institution})
    if (n == role_name(r)) return r;
  return std::nullopt;
}

std::optional<CertStatus> parse_status(std::string_view n) {
  for (CertStatus s :
       {CertStatus::active, CertStatus::suspended, CertStatus::cancelled, CertStatus::revoked, CertStatus::withdrawn})
    if (n == status_name(s)) return s;
  return std::nullopt;
}

}  // namespace certledger::domain
