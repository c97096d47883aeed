#include "ledger/domain/identifiers.h"

#include <gtest/gtest.h>

namespace certledger::domain {
namespace {

const char kUsccChars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// The Ministry's own published code (it is also the prefix of every
// MOHURD e-license type code).
TEST(Uscc, AcceptsPublishedCodes) {
  EXPECT_TRUE(check_uscc("11100000000013338W").ok());  // 住房和城乡建设部
}

TEST(Uscc, CheckCharacterMatchesTheStandardFormula) {
  // Independent recomputation of 31 - (sum mod 31) with weights 3^(i-1) mod 31.
  std::string body = "11100000000013338";
  int sum = 0, w = 1;
  for (char c : body) {
    sum += static_cast<int>(std::string(kUsccChars).find(c)) * w;
    w = w * 3 % 31;
  }
  int c = (31 - sum % 31) % 31;
  EXPECT_EQ(*uscc_check_char(body), kUsccChars[c]);
}

TEST(Uscc, EverySingleSubstitutionIsRejected) {
  const std::string good = "11100000000013338W";
  for (size_t i = 0; i < good.size(); ++i)
    for (const char* p = kUsccChars; *p; ++p) {
      if (*p == good[i]) continue;
      std::string bad = good;
      bad[i] = *p;
      if (i >= 2 && i < 8 && !(*p >= '0' && *p <= '9')) continue;  // area-code rule fires first
      EXPECT_FALSE(check_uscc(bad).ok()) << bad;
    }
}

TEST(Uscc, ErrorsSayWhatIsWrong) {
  auto e = check_uscc("1110000000001333");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("18 characters, got 16"), std::string::npos);
  e = check_uscc("11100000000013338I");
  EXPECT_NE(e.error().message.find("I, O, S, V and Z are not used"), std::string::npos);
  e = check_uscc("11100000000013338w");
  EXPECT_NE(e.error().message.find("upper case"), std::string::npos);
  e = check_uscc("11100000000013338X");
  EXPECT_NE(e.error().message.find("expected 'W'"), std::string::npos);
  e = check_uscc("11AB0000000013338W");
  EXPECT_NE(e.error().message.find("area code"), std::string::npos);
}

TEST(IdNumber, AcceptsTheStandardsExamples) {
  // Both examples printed in GB 11643-1999.
  EXPECT_TRUE(check_id_number("11010519491231002X").ok());
  EXPECT_TRUE(check_id_number("440524188001010014").ok());
  EXPECT_EQ(*id_number_check_char("11010519491231002"), 'X');
  EXPECT_EQ(*id_number_check_char("44052418800101001"), '4');
}

TEST(IdNumber, RejectsCorruptions) {
  const std::string good = "11010519491231002X";
  for (size_t i = 0; i < 17; ++i)
    for (char d = '0'; d <= '9'; ++d) {
      if (d == good[i]) continue;
      std::string bad = good;
      bad[i] = d;
      EXPECT_FALSE(check_id_number(bad).ok()) << bad;
    }
  for (size_t i = 0; i + 1 < 17; ++i) {
    std::string bad = good;
    std::swap(bad[i], bad[i + 1]);
    if (bad == good) continue;
    // MOD 11-2 catches every adjacent transposition of distinct digits.
    EXPECT_FALSE(check_id_number(bad).ok()) << bad;
  }
}

TEST(IdNumber, RejectsImpossibleBirthDatesAndFormat) {
  std::string feb30 = "1101051949023000";
  feb30 += "1";
  feb30 += *id_number_check_char(feb30);
  auto e = check_id_number(feb30);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not a real date"), std::string::npos);

  std::string future = "11010520990101001";
  future += *id_number_check_char(future);
  EXPECT_TRUE(check_id_number(future).ok());
  e = check_id_number(future, Date{2026, 11, 23});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("future"), std::string::npos);

  EXPECT_FALSE(check_id_number("11010519491231002x").ok());  // lower-case x
  EXPECT_FALSE(check_id_number("1101051949123100").ok());
  EXPECT_FALSE(check_id_number("01010519491231002X").ok());
}

// The hybrid MOD 37,36 check makes the whole string, check included, reduce
// to 1 (ISO/IEC 7064 §7): an independent way to verify the generator.
int hybrid_residue(const std::string& s) {
  int p = 36;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    int v = c <= '9' ? c - '0' : c - 'A' + 10;
    p = (p + v) % 36;
    if (p == 0) p = 36;
    if (i + 1 < s.size()) p = 2 * p % 37;
  }
  return p % 36;
}

TEST(ELicense, BuildsAndParsesWithACorrectCheck) {
  auto id = make_elicense("11100000000013338W050", "11350000003591037R", "01JD3Q7ZK5", 1);
  ASSERT_TRUE(id.ok()) << id.error().message;
  std::string text = id->to_string();
  EXPECT_EQ(text.rfind("1.2.156.3005.2.11100000000013338W050.11350000003591037R.01JD3Q7ZK5.001.", 0), 0u);
  EXPECT_EQ(hybrid_residue("11100000000013338W05011350000003591037R01JD3Q7ZK5001" + std::string(1, id->check)), 1);
  auto back = parse_elicense(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->serial, "01JD3Q7ZK5");
  EXPECT_EQ(back->version, 1);
}

TEST(ELicense, ResidueHoldsForManyIdentifiers) {
  for (int v = 1; v <= 999; v += 37)
    for (std::string serial : {"1", "A", "ZZZZ", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}) {
      auto id = make_elicense("11100000000013338W011", "440000", serial, v);
      ASSERT_TRUE(id.ok());
      char ver[4];
      std::snprintf(ver, sizeof ver, "%03d", v);
      EXPECT_EQ(hybrid_residue("11100000000013338W011440000" + serial + ver + id->check), 1);
    }
}

TEST(ELicense, DetectsSingleSubstitutionsAndAdjacentSwaps) {
  auto id = make_elicense("11100000000013338W032", "11320000MB1B01952X", "01JD3Q7ZK5ABCDE", 2);
  ASSERT_TRUE(id.ok());
  const std::string good = id->to_string();
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  size_t start = std::string(kELicenseRoot).size() + 1;
  for (size_t i = start; i < good.size(); ++i) {
    if (good[i] == '.') continue;
    for (char c : alphabet) {
      if (c == good[i]) continue;
      std::string bad = good;
      bad[i] = c;
      EXPECT_FALSE(parse_elicense(bad).ok()) << bad;
    }
    if (i + 1 < good.size() && good[i + 1] != '.' && good[i] != good[i + 1]) {
      std::string bad = good;
      std::swap(bad[i], bad[i + 1]);
      EXPECT_FALSE(parse_elicense(bad).ok()) << bad;
    }
  }
}

TEST(ELicense, RejectsMalformedIdentifiers) {
  EXPECT_FALSE(parse_elicense("").ok());
  EXPECT_FALSE(parse_elicense("1.2.156.3005.2.X.Y.Z.001.0").ok());
  EXPECT_FALSE(parse_elicense("1.2.156.3005.3.11100000000013338W050.440000.1.001.0").ok());
  auto e = parse_elicense("1.2.156.3005.2.11100000000013338W050.440000.abc.001.0");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("serial"), std::string::npos);
  EXPECT_FALSE(parse_elicense("1.2.156.3005.2.11100000000013338W050.440000.ABC.1.0").ok());
  EXPECT_FALSE(parse_elicense("1.2.156.3005.2.11100000000013338W050.440000.ABC.000.0").ok());
}

}  // namespace
}  // namespace certledger::domain
