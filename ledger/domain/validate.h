// Field validation against a kind's descriptor. Every error names the field
// (Error::field) and says precisely what is wrong, in terms an operator
// preparing a bulk import can act on.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/domain/kinds.h"
#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::domain {

// One value against its spec (type, length, charset, check characters).
Status validate_value(const FieldSpec& spec, const nlohmann::json& value,
                      std::optional<Date> today = std::nullopt);

// The business number (证书编号) against the kind's number format.
Status validate_number(const KindDescriptor& kind, std::string_view number);

// A complete field set for issue/convert: an object, no unknown fields, every
// required field present and valid, cross-field rules (valid_from <=
// valid_until, issue_date not in the future).
Status validate_fields(const KindDescriptor& kind, const nlohmann::json& fields, Date today);

// A test-report record (seed 002).
Status validate_record(const RecordDescriptor& record, const nlohmann::json& fields, Date today);

// Free text outside the descriptor (reasons, decisions, operator names).
Status validate_text(std::string_view field, const nlohmann::json& value, size_t max_chars,
                     bool required = true);

// Photo handling: the JPEG/PNG content type by magic bytes, and the
// content-hash reference stored in the event ("sha256:<hex>").
std::optional<std::string> sniff_image_type(std::string_view bytes);
// Whether a photo is an image a renderer can place: a JPEG with start and
// end markers, or a PNG with intact chunk CRCs, a header, IEND and image
// data that inflates completely (its Adler-32 checks). The error (field
// "photo") says what is wrong.
Status check_image(std::string_view bytes);
std::string photo_reference(std::string_view bytes);

}  // namespace certledger::domain
