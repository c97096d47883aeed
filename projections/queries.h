// Read side of the projections. Every call reads RocksDB directly and never
// waits on the writer; what it returns reflects every acknowledged command.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/store/event_store.h"
#include "projections/cert_view.h"

namespace certledger::projections {

class Reader {
 public:
  explicit Reader(const store::EventStore& store) : store_(store) {}

  Result<CertView> certificate(std::string_view id) const;
  struct TokenHit {
    CertView view;
    uint32_t version;
  };
  Result<TokenHit> by_token(std::string_view token) const;
  // What a QR token names: (certificate id, version). Never changes once a
  // token exists.
  struct TokenTarget {
    std::string certificate;
    uint32_t version;
  };
  Result<TokenTarget> token_target(std::string_view token) const;
  // The same from the tokens family's value for the token (not_found if none).
  static Result<TokenTarget> decode_token_target(std::string_view token, const std::optional<std::string>& value);
  // Certificate ids with this business number (per kind; one per authority).
  std::vector<std::string> by_number(std::string_view kind, std::string_view number) const;
  // Certificate ids of a holder (统一社会信用代码 or 身份证号), optionally of one
  // kind and one authority.
  std::vector<std::string> by_holder(std::string_view holder_id, std::string_view kind = {},
                                     std::string_view authority = {}) const;
  // Counters: {"by_status":[{authority, region, kind, status, count}],
  //            "by_month":[{month, authority, kind, operation, count}]}.
  nlohmann::json statistics(std::string_view authority = {}) const;
  // Every certificate's view, in id order, until fn returns false; a view
  // that does not decode is an error naming it.
  Status each_certificate(const std::function<bool(const CertView&)>& fn) const;
  // The report view ({"state": ..., "registered_position", "last_position"}).
  Result<nlohmann::json> report(std::string_view code) const;

 private:
  const store::EventStore& store_;
};

// Point in time, from the log alone (never the live projections): the view
// of a certificate as of a log position, or as of the end of a day (China
// time). not_found if it did not exist yet.
Result<CertView> view_at_position(const Ledger& ledger, const std::string& id, uint64_t position);
Result<CertView> view_at_date(const Ledger& ledger, const std::string& id, Date date);

}  // namespace certledger::projections
