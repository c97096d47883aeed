// Test helpers: drive the pure domain (decide + apply_event) without a store.
#pragma once

#include <gtest/gtest.h>

#include "ledger/domain/certificate.h"
#include "ledger/domain/privacy.h"
#include "ops/demo/samples.h"
#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/random.h"

namespace certledger::domain::testing {

inline UnixMillis at(Date d) { return d.days_since_epoch() * 86400000LL + 4 * 3600000LL; }

struct Harness {
  AuthorityInfo authority = demo::demo_authorities()[0];
  demo::SampleGenerator gen{42};
  int tokens = 0;
  std::string data_key = random_bytes(32);  // every holder's, here
  DecideContext ctx(UnixMillis now) {
    return DecideContext{now, &authority, [this] { return "tok" + std::to_string(++tokens); }};
  }
  static Actor approver() { return Actor{"li.si", Role::approver, {{"clerk", "zhang.san", ""}}}; }

  // Decides and, on success, applies the event; returns the decision result.
  Result<Decision> run(CertificateState& s, CommandInput cmd, UnixMillis now) {
    if (cmd.actor.operator_id.empty()) cmd.actor = approver();
    auto d = decide(s, cmd, ctx(now));
    if (!d.ok()) return d;
    // Sealed as the ledger seals a person's fields (format 2).
    const KindDescriptor* kind = find_kind(s.exists ? s.kind : cmd.kind);
    if (auto* object = kind ? sealable_object(*kind, d->type, d->data) : nullptr) {
      const std::string holder = s.holder.empty() ? base64url_encode(random_bytes(16)) : s.holder;
      auto personal = seal_personal(*kind, *object, {holder, crypto::Aead::a256gcm, data_key});
      EXPECT_TRUE(personal.ok());
      d->data["personal"] = *personal;
    }
    Event e;
    e.id = uuid_v7(now);
    e.type = d->type;
    e.stream = s.exists ? s.id : cmd.certificate_id;
    e.seq = s.stream_version + 1;
    e.authority = authority.code;
    e.kind = s.exists ? s.kind : cmd.kind;
    e.actor = d->actor;
    e.time = now;
    e.data = d->data;
    e.prev = s.last_hash;
    std::string bytes = serialize_event(e);
    auto st = apply_event(s, e, hash_hex(sha256(bytes)));
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return d;
  }

  CommandInput issue_cmd(const KindDescriptor& k, Date issue_date) {
    CommandInput c;
    c.type = CommandType::issue;
    c.kind = std::string(k.code);
    c.certificate_id = new_certificate_id(at(issue_date));
    c.fields = gen.fields(k, authority, issue_date);
    return c;
  }
};

}  // namespace certledger::domain::testing
