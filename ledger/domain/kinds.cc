#include "ledger/domain/kinds.h"

namespace certledger::domain {
namespace {

// The Ministry of Housing and Urban-Rural Development defines the national
// e-license types; its USCC is the first 18 characters of each type code.
// W011/W032/W050 are published; the qualification and testing codes are our
// provisional assignments until C0293-2024 is at hand (doc/domain.md).
#define MOHURD "11100000000013338W"

FieldSpec number_field(std::string_view label = "证书编号") { return {"number", label, FieldType::text, true, 40}; }

std::vector<FieldSpec> organisation_fields(std::string_view name_label, std::string_view address_label, FieldSpec scope,
                                           bool with_grade, bool with_capital) {
  std::vector<FieldSpec> f = {
      number_field(),
      {"holder_name", name_label, FieldType::text, true, 100},
      {"uscc", "统一社会信用代码", FieldType::uscc, true, 18},
      {"legal_representative", "法定代表人", FieldType::text, true, 50},
      {"address", address_label, FieldType::text, true, 200},
  };
  if (with_capital) f.push_back({"registered_capital", "注册资本", FieldType::text, false, 50});
  f.push_back(std::move(scope));
  if (with_grade) f.push_back({"grade", "资质等级", FieldType::text, false, 50});
  f.push_back({"valid_from", "有效期自", FieldType::date, true, 10});
  f.push_back({"valid_until", "有效期至", FieldType::date, true, 10});
  f.push_back({"issue_date", "发证日期", FieldType::date, true, 10});
  return f;
}

std::vector<AmendReason> qualification_amendments(std::string_view scope_field) {
  return {
      {"name_changed", "企业名称变更", {"holder_name"}},
      {"capital_changed", "注册资本变更", {"registered_capital"}},
      {"legal_representative_changed", "法定代表人变更", {"legal_representative"}},
      {"address_changed", "注册地址变更", {"address"}},
      {"uscc_changed", "统一社会信用代码变更", {"uscc"}},
      {"scope_added", "增项", {scope_field}, true},
      {"grade_raised", "升级", {scope_field}},
  };
}

// Seed 001's classes: 施工 qualifications 特级 to 三级; 勘察, 设计 and 监理
// 甲级 to 丙级 (综合资质 is a category of its own).
const std::vector<std::string_view> kBuildingGrades = {"特级", "一级", "二级", "三级"};
const std::vector<std::string_view> kDesignGrades = {"甲级", "乙级", "丙级"};

KindDescriptor qualification(std::string_view code, std::string_view name, std::string_view elicense_type,
                             const std::vector<std::string_view>& grades) {
  KindDescriptor k;
  k.code = code;
  k.name = name;
  k.seed = "001";
  k.holder_name_field = "holder_name";
  k.holder_id_field = "uscc";
  k.fields = organisation_fields("企业名称", "注册地址",
                                 {"qualifications", "资质类别及等级", FieldType::text_list, true, 100}, false, true);
  k.number_format = NumberFormat::qualification;
  k.validity_years = 5;
  k.orientation = Orientation::portrait;
  k.ofd = true;
  k.elicense_type = elicense_type;
  k.amend_reasons = qualification_amendments("qualifications");
  k.grades = grades;
  return k;
}

FieldSpec photo_field() { return {"photo", "照片", FieldType::photo, true, 71}; }
FieldSpec person_name() { return {"name", "姓名", FieldType::text, true, 30}; }
FieldSpec id_field() { return {"id_number", "身份证号", FieldType::id_number, true, 18}; }
FieldSpec issue_date() { return {"issue_date", "发证时间", FieldType::date, true, 10}; }

KindDescriptor safety_manager(std::string_view code, std::string_view klass, std::string_view name,
                              std::string_view who) {
  KindDescriptor k;
  k.code = code;
  k.name = name;
  k.seed = "004";
  k.holder = HolderType::person;
  k.holder_name_field = "name";
  k.holder_id_field = "id_number";
  k.fields = {person_name(),
              id_field(),
              number_field(),
              {"employer", "企业名称", FieldType::text, true, 100},
              {"employer_uscc", "企业统一社会信用代码", FieldType::uscc, false, 18},
              {"valid_from", "有效期自", FieldType::date, false, 10},
              {"valid_until", "有效期至", FieldType::date, true, 10},
              photo_field(),
              issue_date()};
  k.number_format = NumberFormat::safety_manager;
  k.number_class = klass;
  k.validity_years = 3;
  k.elicense_type = MOHURD "011";
  k.suspendable = true;
  k.amend_reasons = {
      {"employer_changed", "受聘企业变更", {"employer", "employer_uscc"}},
      {"info_corrected", "个人信息更正", {"name"}},
  };
  k.statement = who;
  return k;
}

std::vector<KindDescriptor> build_kinds() {
  std::vector<KindDescriptor> kinds;

  {  // seed 000 (Guangdong): A4 landscape PDF; seed 001 (Liaoning): OFD portrait.
    KindDescriptor k;
    k.code = "testing_institution";
    k.name = "建设工程质量检测机构资质证书";
    k.seed = "000, 001";
    k.holder_name_field = "holder_name";
    k.holder_id_field = "uscc";
    k.fields =
        organisation_fields("机构名称", "地址", {"scope", "检测范围", FieldType::text_list, true, 100}, true, false);
    k.number_format = NumberFormat::lenient;
    k.validity_years = 5;
    k.orientation = Orientation::landscape;
    k.ofd = true;
    k.elicense_type = MOHURD "101";
    // Seed 002: a report may only be issued while the qualification is not
    // suspended — the qualification can be suspended (责令停业整顿).
    k.suspendable = true;
    k.amend_reasons = {
        {"name_changed", "机构名称变更", {"holder_name"}},
        {"legal_representative_changed", "法定代表人变更", {"legal_representative"}},
        {"address_changed", "地址变更", {"address"}},
        {"uscc_changed", "统一社会信用代码变更", {"uscc"}},
        {"scope_added", "新增检测范围", {"scope"}, true},
        {"grade_raised", "资质升级", {"grade"}},
    };
    // 建设工程质量检测机构资质: 综合类 above 专项类 (the values of `grade`).
    k.grades = {"综合类", "专项类"};
    kinds.push_back(std::move(k));
  }
  kinds.push_back(qualification("construction_enterprise", "建筑业企业资质证书", MOHURD "102", kBuildingGrades));
  kinds.push_back(qualification("survey", "工程勘察资质证书", MOHURD "103", kDesignGrades));
  kinds.push_back(qualification("design", "工程设计资质证书", MOHURD "104", kDesignGrades));
  kinds.push_back(qualification("supervision", "工程监理资质证书", MOHURD "105", kDesignGrades));

  {  // seed 003 (Fujian): OFD per C0292-2022, 赋码 by the national platform.
    KindDescriptor k;
    k.code = "safety_license";
    k.name = "建筑施工企业安全生产许可证";
    k.seed = "003";
    k.holder_name_field = "holder_name";
    k.holder_id_field = "uscc";
    k.fields = {
        number_field("编号"),
        {"holder_name", "企业名称", FieldType::text, true, 100},
        {"uscc", "统一社会信用代码", FieldType::uscc, true, 18},
        {"principal", "主要负责人", FieldType::text, true, 50},
        {"address", "单位地址", FieldType::text, true, 200},
        {"economic_type", "经济类型", FieldType::text, true, 50},
        {"scope", "许可范围", FieldType::text_list, true, 100},
        {"valid_from", "有效期自", FieldType::date, true, 10},
        {"valid_until", "有效期至", FieldType::date, true, 10},
        {"issue_date", "发证日期", FieldType::date, true, 10},
        {"national_code", "全国统一赋码", FieldType::text, false, 64},
    };
    k.number_format = NumberFormat::safety_license;
    k.validity_years = 3;
    k.orientation = Orientation::portrait;
    k.ofd = true;
    k.elicense_type = MOHURD "050";
    k.suspendable = true;
    k.amend_reasons = {
        {"name_changed", "企业名称变更", {"holder_name"}},
        {"principal_changed", "主要负责人变更", {"principal"}},
        {"address_changed", "单位地址变更", {"address"}},
        {"economic_type_changed", "经济类型变更", {"economic_type"}},
        {"uscc_changed", "统一社会信用代码变更", {"uscc"}},
    };
    kinds.push_back(std::move(k));
  }
  {  // seed 004 (Jiangsu): 现场管理人员 岗位培训考核合格证书, no expiry printed.
    KindDescriptor k;
    k.code = "staff_training";
    k.name = "住房和城乡建设领域专业人员岗位培训考核合格证书";
    k.seed = "004";
    k.holder = HolderType::person;
    k.holder_name_field = "name";
    k.holder_id_field = "id_number";
    k.fields = {{"post", "岗位名称", FieldType::text, true, 30},
                person_name(),
                {"gender", "性别", FieldType::choice, true, 1, {"男", "女"}},
                id_field(),
                number_field(),
                photo_field(),
                issue_date()};
    k.number_format = NumberFormat::lenient;
    k.validity_years = 0;
    k.elicense_type = MOHURD "020";
    k.renewable = false;
    k.amend_reasons = {{"info_corrected", "个人信息更正", {"name", "gender"}}, {"post_changed", "岗位变更", {"post"}}};
    k.statement = "本证书表明持证人已通过住房和城乡建设领域专业人员岗位培训考核，成绩合格。";
    kinds.push_back(std::move(k));
  }
  {  // seed 004: 建筑施工特种作业操作资格证书, 2-year validity with 复核.
    KindDescriptor k;
    k.code = "special_operation";
    k.name = "建筑施工特种作业操作资格证书";
    k.seed = "004";
    k.holder = HolderType::person;
    k.holder_name_field = "name";
    k.holder_id_field = "id_number";
    k.fields = {{"post", "岗位名称", FieldType::text, true, 30},
                person_name(),
                id_field(),
                number_field(),
                {"valid_from", "有效期自", FieldType::date, false, 10},
                {"valid_until", "有效期至", FieldType::date, true, 10},
                photo_field(),
                issue_date()};
    k.number_format = NumberFormat::special_operation;
    k.validity_years = 2;
    k.elicense_type = MOHURD "032";
    k.reviewable = true;
    k.suspendable = true;
    k.amend_reasons = {{"info_corrected", "个人信息更正", {"name"}}};
    k.statement = "本证书表明持证人通过建筑施工特种作业操作资格考核，成绩合格。";
    kinds.push_back(std::move(k));
  }
  kinds.push_back(safety_manager("safety_manager_a", "A", "建筑施工企业主要负责人安全生产知识考核合格证书",
                                 "本证书表明持证人通过建筑施工企业主要负责人安全生产知识考核，成绩合格。"));
  kinds.push_back(safety_manager("safety_manager_b", "B", "建筑施工企业项目负责人安全生产知识考核合格证书",
                                 "本证书表明持证人通过建筑施工企业项目负责人安全生产知识考核，成绩合格。"));
  kinds.push_back(safety_manager("safety_manager_c", "C", "建筑施工企业专职安全生产管理人员安全生产知识考核合格证书",
                                 "本证书表明持证人通过建筑施工企业专职安全生产管理人员安全生产知识考核，成绩合格。"));
  return kinds;
}

RecordDescriptor build_report() {
  return {"test_report",
          "建设工程质量检测报告",
          {
              {"report_number", "报告编号", FieldType::text, true, 64},
              {"project_name", "工程名称", FieldType::text, true, 200},
              {"category", "检测类别", FieldType::text, true, 100},
              {"parameter", "检测参数", FieldType::text, false, 200},
              {"sample", "样品信息", FieldType::text, false, 500},
              {"test_date", "检测日期", FieldType::date, true, 10},
              {"result_summary", "检测结论", FieldType::text, true, 1000},
              {"file_sha256", "报告文件 SHA-256", FieldType::text, true, 64},
          }};
}

}  // namespace

const FieldSpec* KindDescriptor::field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

const AmendReason* KindDescriptor::amend_reason(std::string_view c) const {
  for (const auto& r : amend_reasons)
    if (r.code == c) return &r;
  return nullptr;
}

KindDescriptor::Graded KindDescriptor::graded(std::string_view item) const {
  for (size_t i = 0; i < grades.size(); ++i)
    if (item.ends_with(grades[i])) return {item.substr(0, item.size() - grades[i].size()), i};
  return {item, std::nullopt};
}

const FieldSpec* RecordDescriptor::field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

std::span<const KindDescriptor> all_kinds() {
  static const std::vector<KindDescriptor> kinds = build_kinds();
  return kinds;
}

const KindDescriptor* find_kind(std::string_view code) {
  for (const auto& k : all_kinds())
    if (k.code == code) return &k;
  return nullptr;
}

const RecordDescriptor& test_report_descriptor() {
  static const RecordDescriptor d = build_report();
  return d;
}

const char* field_type_name(FieldType t) {
  switch (t) {
    case FieldType::text: return "text";
    case FieldType::text_list: return "text_list";
    case FieldType::uscc: return "uscc";
    case FieldType::id_number: return "id_number";
    case FieldType::date: return "date";
    case FieldType::choice: return "choice";
    case FieldType::photo: return "photo";
  }
  return "text";
}

}  // namespace certledger::domain
