// The certificate view: what the public page, the authority API and the
// documents read. A pure fold, CertView' = apply(CertView, event), over the
// certificate's stream, built on the domain's own fold so the two can never
// disagree. Stored with cereal's portable binary archive (little-endian,
// field order as declared; doc/storage_format.md).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/domain/certificate.h"
#include "ledger/domain/event.h"
#include "ledger/store/batch.h"
#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger {
class KeyVault;
}

namespace certledger::projections {

// 2 adds the sealed personal data (holder, sealed, erased, and how many of
// the sealed members each version's fields take); 3 keeps only each sealed
// member's JWE, not the whole member; 1 and 2 are still read.
inline constexpr uint32_t kCertViewFormat = 3;

// One issued document: first issue, each amendment, reissue, renewal, review.
struct VersionInfo {
  uint32_t version = 0;
  std::string token;
  std::string elicense;
  std::string cause;   // issued, converted, amended, reissued, renewed, reviewed
  std::string reason;  // amendment reason code, reissue reason
  uint64_t position = 0;
  int64_t time = 0;
  std::string valid_until;  // as of this version
  std::string fields_json;  // all fields as of this version (what the document shows)
  uint32_t sealed = 0;      // the first `sealed` of state.sealed make this version's personal data
};

struct CertView {
  domain::CertificateState state;  // the domain's own fold
  std::vector<VersionInfo> versions;
  uint64_t last_position = 0;
  int64_t last_time = 0;
  int64_t issued_time = 0;
  std::string source;           // "paper" for converted stock
  std::string status_decision;  // 决定书文号 of the last status change
  std::string actor_json;       // approval trail of the last decision
};

// The certificate view a command's record left (store::Folded): its answer
// is built from it, not from a second fold or a read.
struct FoldedView : store::Folded {
  explicit FoldedView(CertView v) : view(std::move(v)) {}
  const domain::CertificateState* certificate() const override { return &view.state; }
  CertView view;
};
// The view an Outcome carries, if the projections left one.
inline const CertView* folded_view(const std::shared_ptr<const store::Folded>& f) {
  const auto* v = dynamic_cast<const FoldedView*>(f.get());
  return v ? &v->view : nullptr;
}

// Applies one certificate event. Fails (corruption) when the event does not
// follow, exactly as the domain fold does.
Status apply(CertView& view, const domain::Event& e, uint64_t position, std::string_view record_hash_hex);

// Applies a holder.erased event to a certificate of the holder: every
// personal field of every version reads domain::kErased, the sealed data
// is dropped. Fails (corruption) for a certificate of another holder.
Status apply_erasure(CertView& view, const domain::Event& e, uint64_t position);

// The personal data of a sealed certificate opened under the holder's key:
// for the issuing authority's staff only. Without the key (erased, or a
// node the key never reached) the public forms stay. A version's fields
// (nullptr: the current ones), and the whole view.
Result<nlohmann::json> opened_fields(const CertView& v, const VersionInfo* version, const KeyVault* vault);
Result<CertView> opened_view(CertView v, const KeyVault* vault);

std::string encode(const CertView& v);
Result<CertView> decode(std::string_view bytes);
// The message of the <prefix>.status Kafka topic for the certificate
// event at `position`: the certificate's public status right after it
// (doc/kafka_topics.md). JSON, members in lexicographic order; "reason" only
// when the status is not active.
std::string status_message(const domain::CertificateState& s, uint64_t position, UnixMillis time);

// What the public sees for a token or a number. Priority when several hold:
// withdrawn/revoked/cancelled > suspended > superseded > expired > valid.
enum class PublicStatus { valid, expired, suspended, cancelled, revoked, withdrawn, superseded };
const char* public_status_name(PublicStatus s);  // valid, expired, ...
const char* public_status_word(PublicStatus s);  // 有效, 已过期, ...

struct PublicView {
  PublicStatus status = PublicStatus::valid;
  uint32_t version = 0;  // the version the token belongs to
  uint32_t current_version = 0;
  std::optional<uint32_t> superseded_by;  // the version that replaced it
  std::string since;                      // RFC 3339 time of the status change, if any
  std::string reason;
};
PublicView public_view(const CertView& v, uint32_t version, Date today);

// Masking for anything the public sees (persons' names and ID numbers).
std::string mask_person_name(std::string_view name);  // 王*明, 李*
std::string mask_id_number(std::string_view id);      // first 6 and last 4 at most
// The fields of a version as the public may see them (persons masked,
// photo reference removed).
nlohmann::json public_fields(const domain::KindDescriptor& kind, const nlohmann::json& fields);

}  // namespace certledger::projections
