// Field validation against a kind's descriptor. Every error names the field
// (Error::field) and says precisely what is wrong, in terms an operator
// preparing a bulk import can act on.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/domain/image.h"
#include "ledger/domain/kinds.h"
#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::domain {

// One value against its spec (type, length, charset, check characters).
Status validate_value(const FieldSpec& spec, const nlohmann::json& value, std::optional<Date> today = std::nullopt);

// The business number (证书编号) against the kind's number format.
Status validate_number(const KindDescriptor& kind, std::string_view number);

// The shape a field set (an issue's `fields`, an amendment's `changes`) must
// have before anything copies, hashes or validates it: an object whose
// values are scalars or lists of scalars. Cheap and flat; the descriptor's
// checks come later. The error names `member`.
Status check_field_shapes(const nlohmann::json& fields, std::string_view member);

// A complete field set for issue/convert: an object, no unknown fields, every
// required field present and valid, cross-field rules (valid_from <=
// valid_until, issue_date not in the future).
Status validate_fields(const KindDescriptor& kind, const nlohmann::json& fields, Date today);

// A test-report record (seed 002).
Status validate_record(const RecordDescriptor& record, const nlohmann::json& fields, Date today);

// Free text outside the descriptor (reasons, decisions, operator names).
Status validate_text(std::string_view field, const nlohmann::json& value, size_t max_chars, bool required = true);

}  // namespace certledger::domain
