// Personal data across nodes (doc/kafka_topics.md, "<prefix>.keys"): the
// primary sends each holder's data key, wrapped for every downstream
// consumer entitled to the holder's authority, on the compacted keys topic;
// an erased holder's key is a tombstone. An entitled replica opens the
// wrap addressed to it with its vault's X25519 key and holds the key; on a
// tombstone it destroys its copy. A replica without an entitlement never
// gets a key and serves the public forms.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/key_source.h"
#include "ledger/ledger.h"

namespace certledger::ops {

// A consumer entitled to personal data (named in the primary's config).
struct Recipient {
  std::string name;                      // as the consumer calls itself (its --personal-data-name)
  std::string public_key;                // X25519, raw 32 bytes (`ledgerctl vault-key` of the consumer)
  std::optional<crypto::PublicKey> sm2;  // or an SM2 key (`ledgerctl vault-key --alg sm2`): SM2 encryption
  std::set<std::string> authorities;     // whose holders; empty: every authority
};
// A JSON file: [{"name": "js-archive", "x25519": "<base64url>", "authorities": ["JS-ZJT"]},
//               {"name": "national", "sm2": {<public JWK>}}, ...]
Result<std::vector<Recipient>> read_recipients(const std::string& path);
// The same from the file's text; origin names it in errors.
Result<std::vector<Recipient>> parse_recipients(std::string_view text, std::string_view origin);

class HolderKeyPublisher : public KeySource {
 public:
  HolderKeyPublisher(const Ledger& ledger, std::vector<Recipient> recipients)
      : ledger_(ledger), recipients_(std::move(recipients)) {}
  std::vector<Message> messages(std::string_view record, const domain::RecordEnvelope& e) override;
  // The keys-topic value of a holder's key (nullopt: no recipient for its authority).
  Result<std::optional<std::string>> message_value(const HolderKey& key) const;

 private:
  const Ledger& ledger_;
  std::vector<Recipient> recipients_;
};

// An entitled replica's handling of one keys-topic message addressed (or
// not) to `name`: imports the key, or destroys it on a tombstone. A key of
// a holder the log already erased is not imported.
Status receive_key(Ledger& ledger, std::string_view name, std::string_view holder,
                   std::optional<std::string_view> value);

}  // namespace certledger::ops
