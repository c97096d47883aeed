#include "ledger/domain/kinds.h"

#include <gtest/gtest.h>

#include <set>

#include "ledger/domain/identifiers.h"
#include "ledger/domain/validate.h"
#include "tests/unit/domain_helpers.h"

namespace certledger::domain {
namespace {

using nlohmann::json;

TEST(Kinds, EveryGlossaryKindHasADescriptor) {
  std::set<std::string> codes;
  for (const auto& k : all_kinds()) codes.insert(std::string(k.code));
  for (const char* c :
       {"testing_institution", "construction_enterprise", "survey", "design", "supervision", "safety_license",
        "staff_training", "special_operation", "safety_manager_a", "safety_manager_b", "safety_manager_c"})
    EXPECT_TRUE(codes.count(c)) << c;
  EXPECT_EQ(codes.size(), all_kinds().size()) << "duplicate kind codes";
  EXPECT_EQ(find_kind("nonexistent"), nullptr);
}

TEST(Kinds, DescriptorsAreCoherent) {
  for (const auto& k : all_kinds()) {
    SCOPED_TRACE(std::string(k.code));
    EXPECT_FALSE(k.name.empty());
    ASSERT_NE(k.field("number"), nullptr);
    ASSERT_NE(k.field("issue_date"), nullptr);
    ASSERT_NE(k.field(k.holder_name_field), nullptr);
    const FieldSpec* holder_id = k.field(k.holder_id_field);
    ASSERT_NE(holder_id, nullptr);
    EXPECT_EQ(holder_id->type, k.holder == HolderType::organisation ? FieldType::uscc : FieldType::id_number);
    if (k.holder == HolderType::person) {
      EXPECT_NE(k.field("photo"), nullptr);
    }
    EXPECT_EQ(k.has_expiry(), k.field("valid_until") != nullptr);
    if (k.has_expiry()) {
      EXPECT_TRUE(k.field("valid_until")->required);
    }
    // Type code: the defining body's valid USCC + 3 digits.
    ASSERT_EQ(k.elicense_type.size(), 21u);
    EXPECT_TRUE(check_uscc(k.elicense_type.substr(0, 18)).ok());
    std::set<std::string_view> names;
    for (const auto& f : k.fields) EXPECT_TRUE(names.insert(f.name).second) << f.name;
    for (const auto& r : k.amend_reasons)
      for (auto f : r.fields) EXPECT_NE(k.field(f), nullptr) << r.code << " -> " << f;
  }
}

TEST(Kinds, LayoutsFollowTheNotices) {
  EXPECT_EQ(find_kind("testing_institution")->orientation, Orientation::landscape);  // seed 000
  for (auto c : {"construction_enterprise", "survey", "design", "supervision", "safety_license"}) {
    EXPECT_EQ(find_kind(c)->orientation, Orientation::portrait) << c;
    EXPECT_TRUE(find_kind(c)->ofd) << c;  // seeds 001 and 003 ask for OFD
  }
  EXPECT_EQ(find_kind("safety_license")->elicense_type, "11100000000013338W050");
  EXPECT_EQ(find_kind("special_operation")->elicense_type, "11100000000013338W032");
  EXPECT_EQ(find_kind("safety_manager_b")->elicense_type, "11100000000013338W011");
  EXPECT_EQ(find_kind("staff_training")->field("gender")->choices.size(), 2u);
}

class EveryKind : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryKind, SampleFieldsValidate) {
  const KindDescriptor& k = *find_kind(GetParam());
  testing::Harness h;
  for (int i = 0; i < 50; ++i) {
    json f = h.gen.fields(k, demo::demo_authorities()[i % 4], Date{2024, 3, 1});
    auto st = validate_fields(k, f, Date{2026, 11, 23});
    ASSERT_TRUE(st.ok()) << st.error().to_string() << "\n" << f.dump();
  }
}

TEST_P(EveryKind, EachRequiredFieldIsNamedWhenMissing) {
  const KindDescriptor& k = *find_kind(GetParam());
  testing::Harness h;
  json good = h.gen.fields(k, h.authority, Date{2024, 3, 1});
  for (const auto& spec : k.fields) {
    json f = good;
    f.erase(std::string(spec.name));
    auto st = validate_fields(k, f, Date{2026, 11, 23});
    if (spec.required) {
      ASSERT_FALSE(st.ok()) << spec.name;
      EXPECT_EQ(st.error().field, spec.name);
      EXPECT_NE(st.error().message.find("required"), std::string::npos);
    } else {
      EXPECT_TRUE(st.ok()) << spec.name;
    }
  }
}

TEST_P(EveryKind, RejectsUnknownFieldsWrongTypesAndOverlongText) {
  const KindDescriptor& k = *find_kind(GetParam());
  testing::Harness h;
  json good = h.gen.fields(k, h.authority, Date{2024, 3, 1});
  const Date today{2026, 11, 23};
  json f = good;
  f["nickname"] = "x";
  auto st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "nickname");

  f = good;
  f["number"] = 12345;
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "number");

  f = good;
  f[std::string(k.holder_name_field)] = std::string(301, 'A');
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, k.holder_name_field);
  EXPECT_NE(st.error().message.find("at most"), std::string::npos);

  f = good;
  f[std::string(k.holder_name_field)] = "bad\xff\xfe";
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("UTF-8"), std::string::npos);

  f = good;
  f[std::string(k.holder_name_field)] = "line\nbreak";
  EXPECT_FALSE(validate_fields(k, f, today).ok());

  f = good;
  f["issue_date"] = "2024-02-30";
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "issue_date");

  f = good;
  f["issue_date"] = "2027-01-01";
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("future"), std::string::npos);

  f = good;
  std::string id(k.holder_id_field);
  std::string v = f[id];
  v[17] = v[17] == '0' ? '1' : '0';
  f[id] = v;
  st = validate_fields(k, f, today);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, id);
  EXPECT_NE(st.error().message.find("check character"), std::string::npos);

  if (k.has_expiry()) {
    f = good;
    f["valid_until"] = "2024-01-01";
    st = validate_fields(k, f, today);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().field, "valid_until");
  }
  for (const auto& spec : k.fields)
    if (spec.type == FieldType::text_list) {
      f = good;
      f[std::string(spec.name)] = json::array();
      st = validate_fields(k, f, today);
      ASSERT_FALSE(st.ok());
      EXPECT_NE(st.error().message.find("must not be empty"), std::string::npos);
      f[std::string(spec.name)] = json::array({"甲", "甲"});
      EXPECT_FALSE(validate_fields(k, f, today).ok());
    }
  if (k.field("photo")) {
    f = good;
    f["photo"] = "http://example.com/a.jpg";
    st = validate_fields(k, f, today);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().field, "photo");
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKind,
                         ::testing::Values("testing_institution", "construction_enterprise", "survey", "design",
                                           "supervision", "safety_license", "staff_training", "special_operation",
                                           "safety_manager_a", "safety_manager_b", "safety_manager_c"));

TEST(BusinessNumbers, FieldFormatsAreChecked) {
  auto ok = [](const char* kind, const char* n) { return validate_number(*find_kind(kind), n).ok(); };
  EXPECT_TRUE(ok("construction_enterprise", "D144012345"));
  EXPECT_TRUE(ok("design", "AW244012345"));
  EXPECT_FALSE(ok("construction_enterprise", "D444012345"));  // level must be 1-3
  EXPECT_FALSE(ok("construction_enterprise", "D14401234"));
  EXPECT_TRUE(ok("safety_license", "（粤）JZ安许证字[2019]010000"));
  EXPECT_TRUE(ok("safety_license", "(闽)JZ安许证字【2023】000123"));
  EXPECT_TRUE(ok("safety_license", "（苏）JZ安许证字〔2020〕123456"));
  EXPECT_FALSE(ok("safety_license", "（粤）JZ安许证字[2019]01000"));
  EXPECT_FALSE(ok("safety_license", "（XX）JZ安许证字[2019]010000"));
  EXPECT_TRUE(ok("special_operation", "苏A012008000001"));
  EXPECT_FALSE(ok("special_operation", "A012008000001"));
  EXPECT_TRUE(ok("safety_manager_a", "粤建安A(2019)0001234"));
  EXPECT_TRUE(ok("safety_manager_a", "苏建安A（2017）00012345"));
  EXPECT_FALSE(ok("safety_manager_a", "粤建安B(2019)0001234"));
  EXPECT_TRUE(ok("safety_manager_c", "粤建安C2(2019)0001234"));
  EXPECT_TRUE(ok("safety_manager_c", "粤建安C(2019)0001234"));
  EXPECT_FALSE(ok("safety_manager_c", "粤建安C4(2019)0001234"));
  EXPECT_TRUE(ok("testing_institution", "粤检字第2021001号"));
  EXPECT_FALSE(ok("testing_institution", "a b"));
  EXPECT_FALSE(ok("staff_training", "12<script>"));
  auto e = validate_number(*find_kind("safety_license"), "JZ123");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().field, "number");
  EXPECT_NE(e.error().message.find("安许证字"), std::string::npos);
}

TEST(Photos, SniffedByContent) {
  EXPECT_EQ(sniff_image_type("\xff\xd8\xff\xe0rest"), "image/jpeg");
  std::string png = demo::SampleGenerator::sample_photo_png(1);
  EXPECT_EQ(sniff_image_type(png), "image/png");
  EXPECT_FALSE(sniff_image_type("GIF89a").has_value());
  EXPECT_EQ(photo_reference("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TestReports, RecordDescriptorValidates) {
  const auto& r = test_report_descriptor();
  json f = {{"report_number", "GDJC-2024-000123"},
            {"project_name", "广州某住宅项目"},
            {"category", "钢结构"},
            {"test_date", "2024-05-01"},
            {"result_summary", "所检项目符合设计要求"},
            {"file_sha256", std::string(64, 'b')}};
  EXPECT_TRUE(validate_record(r, f, Date{2026, 1, 1}).ok());
  f["file_sha256"] = "xyz";
  auto st = validate_record(r, f, Date{2026, 1, 1});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "file_sha256");
  f.erase("file_sha256");
  EXPECT_FALSE(validate_record(r, f, Date{2026, 1, 1}).ok());
}

}  // namespace
}  // namespace certledger::domain
