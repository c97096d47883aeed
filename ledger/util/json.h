// The one way JSON from outside the process is parsed: HTTP bodies, import
// rows, Kafka messages, signed records, trust and token files. Nesting is
// capped before a tree is built: nlohmann parses deep input iteratively, but
// copying, dumping and comparing a tree recurse, so a 2 MB body of nested
// arrays would overflow a thread's stack in whatever touched it next.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "ledger/util/result.h"

namespace certledger {

// Deeper than any document this system reads or writes (an event is at most
// ~6 levels: record, data, fields, a list, its strings).
inline constexpr int kMaxJsonDepth = 32;

// Whether no array or object in `text` is nested deeper than max_depth.
// Strings are stepped over (brackets inside them do not count); the text is
// not otherwise checked.
bool json_depth_within(std::string_view text, int max_depth = kMaxJsonDepth);

// `text` as a JSON value, or invalid_argument saying what is wrong ("not
// valid JSON", "nested deeper than 32 levels"), prefixed by `what` (e.g.
// "the body"). Never throws.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what = "the document",
                                  int max_depth = kMaxJsonDepth);

// What nlohmann's compact strict dump writes (`v.dump(-1, ' ', false,
// strict)`: members in key order, UTF-8 as is), byte for byte, written
// directly: no copy of the tree, strings copied in runs between the
// characters that need escapes. Throws nlohmann's type_error 316 on invalid
// UTF-8, as the strict dump does. The writer of signed records and of
// projection values (tests/unit/util_test.cc checks it against the dump).
std::string json_dump(const nlohmann::json& v);
void json_dump_to(std::string& out, const nlohmann::json& v);

}  // namespace certledger
