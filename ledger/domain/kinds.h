// Certificate kinds as data. One KindDescriptor per kind names its fields,
// business-number format, validity rule, document layout, holder type and
// which lifecycle operations it has. Adding a kind is adding a row, not a
// class. The Chinese terms appear here once; see doc/domain.md.
// "seed 000" to "seed 004" in comments are the five provincial notices the
// kinds come from, listed in doc/domain.md.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certledger::domain {

enum class FieldType {
  text,       // one line of text
  text_list,  // a non-empty list of lines (检测范围, 资质类别及等级, 许可范围)
  uscc,       // 统一社会信用代码
  id_number,  // 身份证号
  date,       // YYYY-MM-DD
  choice,     // one of `choices`
  photo,      // "sha256:<64 hex>" naming a JPEG/PNG blob
};

enum class HolderType { organisation, person };
enum class Orientation { portrait, landscape };

// How the business number (证书编号) is checked. Formats vary by province and
// year; the ones known well are checked, the rest only for length/charset.
enum class NumberFormat {
  qualification,      // [ABDE]W?[123] + 2-digit province + 5-digit sequence + check (D144012345)
  safety_license,     // （粤）JZ安许证字[2019]010000, any bracket style
  special_operation,  // 苏A012008000001: province + city letter + 12-16 digits
  safety_manager,     // 粤建安A(2019)0001234: province + 建安 + class + (year) + 7-8 digits
  lenient,            // 4-40 characters, letters, digits, CJK, brackets and hyphens
};

struct FieldSpec {
  std::string_view name;   // code name, the JSON key
  std::string_view label;  // as printed on the certificate
  FieldType type = FieldType::text;
  bool required = true;
  size_t max_chars = 100;  // per text or per list item, in code points
  std::vector<std::string_view> choices = {};
  size_t max_items = 200;  // text_list only
};

// An amendment reason (变更 / 增项 / 升级) and the fields it may change.
struct AmendReason {
  std::string_view code;
  std::string_view label;                // 企业名称变更 ...
  std::vector<std::string_view> fields;  // fields this reason may change
  bool list_grows = false;               // scope_added: the list must only gain items
};

struct KindDescriptor {
  std::string_view code;  // testing_institution ...
  std::string_view name;  // 建设工程质量检测机构资质证书
  std::string_view seed;  // which notice defines it
  HolderType holder = HolderType::organisation;
  std::string_view holder_name_field;  // holder_name / name
  std::string_view holder_id_field;    // uscc / id_number
  std::vector<FieldSpec> fields;
  NumberFormat number_format = NumberFormat::lenient;
  std::string_view number_class;  // safety_manager: "A", "B", "C" (C may be C1-C3)
  int validity_years = 0;         // 0: no expiry (valid_until absent)
  Orientation orientation = Orientation::portrait;
  bool pdf = true;
  bool ofd = false;
  // 电子证照标识 type code: defining body's USCC + 3 digits.
  std::string_view elicense_type;
  bool renewable = true;     // 延续
  bool reviewable = false;   // 复核 (personnel)
  bool suspendable = false;  // 暂扣
  std::vector<AmendReason> amend_reasons;
  std::string_view statement;  // the sentence printed on personnel certificates
  // Grades, highest first (特级, 一级, 二级, 三级; 甲级, 乙级, 丙级; 综合类,
  // 专项类): what 升级 raises. A qualification item ends in its grade
  // (建筑工程施工总承包二级: category 建筑工程施工总承包, grade 二级); one
  // without a grade of the ladder (不分等级) has none and cannot be raised.
  std::vector<std::string_view> grades;

  const FieldSpec* field(std::string_view name) const;
  const AmendReason* amend_reason(std::string_view code) const;
  // A qualification item (or a grade field's value) split into its category
  // and its rank on the ladder (0 the highest); rank nullopt: no grade.
  struct Graded {
    std::string_view category;
    std::optional<size_t> rank;
  };
  Graded graded(std::string_view item) const;
  bool has_expiry() const { return validity_years > 0; }
};

std::span<const KindDescriptor> all_kinds();
const KindDescriptor* find_kind(std::string_view code);

// The test-report record of seed 002 (检测报告 + 防伪监管标识码). Not a
// certificate: no lifecycle beyond registered / withdrawn.
struct RecordDescriptor {
  std::string_view code;
  std::string_view name;
  std::vector<FieldSpec> fields;
  const FieldSpec* field(std::string_view name) const;
};
const RecordDescriptor& test_report_descriptor();

const char* field_type_name(FieldType t);

}  // namespace certledger::domain
