// C2SP tlog-policy: which logs a verifier accepts, which witnesses it
// knows, and the quorum of their cosignatures (C2SP tlog-cosignature,
// cosignature/v1) a checkpoint needs before it is believed:
//
//   log <vkey> [<url>]
//   witness <name> <vkey> [<url>]
//   group <name> all|any|<k> <member>...
//   quorum <name>|none
//
// A group is satisfied when at least k of its members (witnesses or earlier
// groups) are; the quorum names one witness or group, or `none`. The same
// policy is read by ledgerctl audit, replicas, ledgerctl verify-answer and
// the JavaScript bundle verifier (api/page/statement_verifier.js), so a
// checkpoint below quorum is refused by all of them alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto/keys.h"
#include "ledger/util/result.h"

namespace certledger::merkle {

struct PolicyLog {
  std::string origin;  // the vkey's name, which is the log's origin line
  crypto::PublicKey key;
  std::string url;
};

struct PolicyWitness {
  std::string name;      // the policy's name for it (quorum and groups)
  std::string key_name;  // the name in its cosignature lines
  crypto::PublicKey key;
  std::string url;  // its tlog-witness submission prefix, if given
};

class Policy {
 public:
  // Parses the text format above; every error names the line.
  static Result<Policy> parse(std::string_view text);
  // A policy of `k` of the witnesses (k = 0: none needed).
  static Result<Policy> threshold(std::vector<PolicyLog> logs, std::vector<PolicyWitness> witnesses, size_t k);

  const std::vector<PolicyLog>& logs() const { return logs_; }
  const std::vector<PolicyWitness>& witnesses() const { return witnesses_; }
  // False for `quorum none`: any checkpoint with a log signature passes.
  bool needs_cosignatures() const { return quorum_.has_value(); }
  // The policy again in the text format (logs, witnesses, groups, quorum).
  std::string text() const;
  // "2 of GD-witness, LN-witness, national-witness" (or "none").
  std::string describe() const;

  struct Verdict {
    bool met = false;
    std::vector<std::string> cosigned;  // names of the witnesses whose cosignature verified
  };
  // Checks a signed note's cosignature lines (the log's own signature is the
  // caller's to check). A line by a known witness (name and key ID) whose
  // signature does not verify is an error: the note was altered.
  Result<Verdict> check(std::string_view note) const;
  // "below the witness quorum (2 of A, B, C): cosigned by A" for a verdict
  // that is not met.
  std::string shortfall(const Verdict& v) const;

 private:
  struct Group {
    std::string name;
    size_t k = 0;
    std::vector<int> members;  // >= 0: a witness index; < 0: group -(i + 1)
  };
  bool satisfied(int node, const std::vector<bool>& cosigned) const;
  std::string member_name(int node) const;
  std::vector<PolicyLog> logs_;
  std::vector<PolicyWitness> witnesses_;
  std::vector<Group> groups_;
  std::optional<int> quorum_;  // a node as in Group::members; none: `quorum none`
};

}  // namespace certledger::merkle
