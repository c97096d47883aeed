#include <gtest/gtest.h>

#include <unordered_set>

#include "ledger/domain/report.h"
#include "ledger/util/random.h"

namespace certledger::domain {
namespace {

TEST(ReportCode, FormatParseAndNormalise) {
  std::string code = make_report_code("44", random_bytes(8));
  ASSERT_EQ(code.size(), kReportCodeLength);
  EXPECT_EQ(code.substr(0, 2), "44");
  EXPECT_EQ(*parse_report_code(code), code);
  std::string shown = format_report_code(code);
  EXPECT_EQ(shown.size(), 19u);
  EXPECT_EQ(*parse_report_code(shown), code);  // dashes accepted
  std::string lower = shown;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(*parse_report_code(lower), code);  // case-insensitive
  EXPECT_FALSE(parse_report_code("44").ok());
  EXPECT_FALSE(parse_report_code("44ABC!EFGHJKMNP").ok());
}

// A code carries 60 random bits (12 base32 characters: the first 60 bits
// of the 8 random bytes, most significant first): the same bytes give the
// same code, and flipping any one of those bits gives another, so two codes
// collide with probability 2^-60 (the retry in Ledger::register_report
// rests on it). A mapping that dropped or folded bits fails here.
TEST(ReportCode, SixtyRandomBitsReachTheCode) {
  for (int n = 0; n < 50; ++n) {
    const std::string bytes = random_bytes(8);
    const std::string code = make_report_code("44", bytes);
    EXPECT_EQ(make_report_code("44", bytes), code);
    std::unordered_set<std::string> seen = {code};
    for (size_t bit = 0; bit < 60; ++bit) {
      std::string flipped = bytes;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (0x80 >> (bit % 8)));
      EXPECT_TRUE(seen.insert(make_report_code("44", flipped)).second) << "bit " << bit;
    }
  }
  EXPECT_NE(make_report_code("44", std::string(8, '\0')), make_report_code("32", std::string(8, '\0')));
}

TEST(ReportCode, CheckCatchesSingleErrorsAndAdjacentSwaps) {
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";  // anything a reader might type
  int checked = 0;
  for (int n = 0; n < 200; ++n) {
    std::string code = make_report_code("44", random_bytes(8));
    for (size_t i = 0; i < code.size(); ++i) {
      for (char c : alphabet) {
        if (c == code[i]) continue;
        std::string bad = code;
        bad[i] = c;
        EXPECT_FALSE(parse_report_code(bad).ok()) << code << " -> " << bad;
        ++checked;
      }
      if (i + 1 < code.size() && code[i] != code[i + 1]) {
        std::string bad = code;
        std::swap(bad[i], bad[i + 1]);
        EXPECT_FALSE(parse_report_code(bad).ok()) << code << " swapped at " << i;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 90000);
}

}  // namespace
}  // namespace certledger::domain
