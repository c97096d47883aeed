#include "ops/demo/samples.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>

#include "ledger/domain/identifiers.h"
#include "ledger/domain/image.h"

namespace certledger::demo {

using namespace domain;
namespace {

constexpr std::string_view kUsccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                           "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "梁"};
const char* kGiven[] = {"伟",   "芳",   "娜",   "敏",   "静",   "丽",   "强",   "磊",  "军",   "洋",
                        "勇",   "艳",   "杰",   "涛",   "明",   "超",   "秀英", "华",  "建国", "志强",
                        "海燕", "晓东", "国平", "文博", "思远", "雨桐", "嘉豪", "子涵"};
const char* kTrade[] = {"宏达", "恒信", "建安", "中建", "华南", "粤海", "顺通", "广厦",
                        "金城", "安泰", "鼎盛", "永固", "正和", "东方", "长城", "立信"};
const char* kCompanyType[] = {"建设工程有限公司", "建筑工程有限公司", "工程勘察设计有限公司",
                              "工程监理有限公司", "建设集团有限公司", "工程技术有限公司"};
const char* kRoads[] = {"天河路",     "中山大道", "人民北路", "解放南路", "东风路",
                        "建设大马路", "黄埔大道", "新港西路", "滨江路",   "科技园路"};
const char* kTestingScopes[] = {"建筑材料及构配件", "主体结构及装饰装修", "钢结构",       "地基基础",
                                "建筑节能",         "建筑幕墙",           "市政工程材料", "道路工程",
                                "桥梁及地下工程",   "见证取样检测",       "室内环境检测"};
const char* kQualifications[] = {
    "建筑工程施工总承包二级", "市政公用工程施工总承包三级", "地基基础工程专业承包一级", "建筑装修装饰工程专业承包二级",
    "钢结构工程专业承包三级", "环保工程专业承包二级",       "机电工程施工总承包三级",   "公路工程施工总承包二级"};
const char* kStaffPosts[] = {"施工员", "质量员", "安全员", "标准员", "材料员", "机械员", "劳务员", "资料员"};
const char* kOperationPosts[] = {"建筑电工",
                                 "建筑架子工（普通脚手架）",
                                 "建筑起重信号司索工",
                                 "建筑起重机械司机（塔式起重机）",
                                 "建筑起重机械安装拆卸工（塔式起重机）",
                                 "高处作业吊篮安装拆卸工"};
const char* kEconomicTypes[] = {"有限责任公司", "股份有限公司", "国有企业", "私营企业"};

template <size_t N>
const char* pick(std::mt19937_64& rng, const char* (&arr)[N]) {
  return arr[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

}  // namespace

std::string SampleGenerator::digits(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + next(10));
  return s;
}

std::string SampleGenerator::uscc(const std::string& area) {
  // 9 (registering dept: 工商) + 1 (enterprise) + area + 9-character organisation code.
  std::string s = "91" + area;
  for (int i = 0; i < 9; ++i) s += kUsccChars[next(static_cast<uint32_t>(kUsccChars.size()))];
  return s + *uscc_check_char(s);
}

std::string SampleGenerator::id_number(const std::string& area) {
  Date birth = Date{1960, 1, 1}.plus_days(next(365 * 40));
  char b[16];
  std::snprintf(b, sizeof b, "%04d%02d%02d", birth.year, birth.month, birth.day);
  std::string s = area + b + digits(3);
  return s + *id_number_check_char(s);
}

std::string SampleGenerator::person_name() {
  return std::string(pick(rng_, kSurnames)) + pick(rng_, kGiven) + (next(2) ? pick(rng_, kGiven) : "");
}

std::string SampleGenerator::company_name(const std::string& city) {
  return city + pick(rng_, kTrade) + pick(rng_, kTrade) + pick(rng_, kCompanyType);
}

std::string SampleGenerator::address(const std::string& province, const std::string& city) {
  return province + city + "市" + pick(rng_, kRoads) + std::to_string(1 + next(899)) + "号";
}

std::string SampleGenerator::number(const KindDescriptor& kind, const AuthorityInfo& a, Date d) {
  const std::string year = std::to_string(d.year);
  switch (kind.number_format) {
    case NumberFormat::qualification: {
      char letter = kind.code == "design" ? 'A' : kind.code == "survey" ? 'B' : kind.code == "supervision" ? 'E' : 'D';
      return std::string(1, letter) + "2" + a.region.substr(0, 2) + digits(5) + digits(1);
    }
    case NumberFormat::safety_license: return "（" + a.province + "）JZ安许证字[" + year + "]" + digits(6);
    case NumberFormat::special_operation:
      return a.province + std::string(1, static_cast<char>('A' + next(13))) + "0" + std::to_string(1 + next(9)) + year +
             digits(6);
    case NumberFormat::safety_manager: {
      std::string klass(kind.number_class);
      if (klass == "C") klass += std::to_string(1 + next(3));
      return a.province + "建安" + klass + "(" + year + ")" + digits(7);
    }
    case NumberFormat::lenient:
      if (kind.code == "testing_institution") return a.province + "检字第" + year + digits(5) + "号";
      return a.region.substr(0, 2) + year + digits(8);
  }
  return digits(10);
}

nlohmann::json SampleGenerator::fields(const KindDescriptor& kind, const AuthorityInfo& a, Date issue,
                                       const std::string& photo_ref) {
  static const std::pair<const char*, std::pair<const char*, const char*>> kPlaces[] = {
      {"44", {"广东省", "广州"}}, {"21", {"辽宁省", "沈阳"}}, {"35", {"福建省", "福州"}}, {"32", {"江苏省", "南京"}}};
  std::string province = "广东省", city = "广州";
  for (const auto& p : kPlaces)
    if (a.region.rfind(p.first, 0) == 0) {
      province = p.second.first;
      city = p.second.second;
    }
  const std::string area = a.region.substr(0, 2) + "0100";
  nlohmann::json f = nlohmann::json::object();
  f["number"] = number(kind, a, issue);
  f["issue_date"] = issue.to_string();
  if (kind.validity_years > 0) {
    f["valid_from"] = issue.to_string();
    f["valid_until"] = issue.plus_years(kind.validity_years).plus_days(-1).to_string();
  }
  if (kind.holder == HolderType::organisation) {
    f["holder_name"] = company_name(city);
    f["uscc"] = uscc(area);
    f["address"] = address(province, city);
    if (kind.field("legal_representative")) f["legal_representative"] = person_name();
    if (kind.field("principal")) f["principal"] = person_name();
    if (kind.field("economic_type")) f["economic_type"] = pick(rng_, kEconomicTypes);
    if (kind.field("registered_capital")) f["registered_capital"] = std::to_string(500 + next(9500)) + "万元";
    auto list = [&](const char* const* items, size_t n) {
      nlohmann::json l = nlohmann::json::array();
      size_t count = 1 + next(static_cast<uint32_t>(std::min<size_t>(n, 4)));
      size_t start = next(static_cast<uint32_t>(n));
      for (size_t i = 0; i < count; ++i) l.push_back(items[(start + i) % n]);
      return l;
    };
    if (kind.field("scope") && kind.code == "testing_institution")
      f["scope"] = list(kTestingScopes, std::size(kTestingScopes));
    else if (kind.field("scope")) f["scope"] = nlohmann::json::array({"建筑施工"});
    if (kind.field("qualifications")) f["qualifications"] = list(kQualifications, std::size(kQualifications));
    if (kind.field("grade") && next(2)) f["grade"] = next(2) ? "综合类" : "专项类";
  } else {
    f["name"] = person_name();
    f["id_number"] = id_number(area.substr(0, 4) + "02");
    f["photo"] = photo_ref.empty() ? default_photo_reference() : photo_ref;
    if (kind.field("gender")) f["gender"] = next(2) ? "男" : "女";
    if (kind.code == "staff_training") f["post"] = pick(rng_, kStaffPosts);
    if (kind.code == "special_operation") f["post"] = pick(rng_, kOperationPosts);
    if (kind.field("employer")) {
      f["employer"] = company_name(city);
      f["employer_uscc"] = uscc(area);
    }
  }
  return f;
}

CommandInput sample_issue(SampleGenerator& gen, const KindDescriptor& kind, const AuthorityInfo& authority,
                          Date issue_date, const std::string& operator_name) {
  CommandInput c;
  c.type = CommandType::issue;
  c.kind = std::string(kind.code);
  c.fields = gen.fields(kind, authority, issue_date);
  c.actor = {operator_name, Role::approver, {}};
  return c;
}

CommandInput sample_reissue(const std::string& certificate_id, const std::string& operator_name) {
  CommandInput c;
  c.type = CommandType::reissue;
  c.certificate_id = certificate_id;
  c.reason = "lost";
  c.actor = {operator_name, Role::approver, {}};
  return c;
}

std::vector<AuthorityInfo> demo_authorities() {
  auto with_check = [](std::string first17) { return first17 + *uscc_check_char(first17); };
  return {
      {"GD-ZJT", "广东省住房和城乡建设厅", with_check("11440000MB2C41295"), "440000", "粤"},
      {"LN-ZJT", "辽宁省住房和城乡建设厅", with_check("11210000MB1523781"), "210000", "辽"},
      {"FJ-ZJT", "福建省住房和城乡建设厅", with_check("11350000MB0290316"), "350000", "闽"},
      {"JS-ZJT", "江苏省住房和城乡建设厅", with_check("11320000MB1B01952"), "320000", "苏"},
  };
}

namespace {

uint32_t crc32(const unsigned char* p, size_t n, uint32_t crc = 0) {
  static std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void put32(std::string& s, uint32_t v) {
  for (int sh = 24; sh >= 0; sh -= 8) s += static_cast<char>((v >> sh) & 0xff);
}

void chunk(std::string& png, const char* type, const std::string& data) {
  put32(png, static_cast<uint32_t>(data.size()));
  std::string td = std::string(type, 4) + data;
  png += td;
  put32(png, crc32(reinterpret_cast<const unsigned char*>(td.data()), td.size()));
}

}  // namespace

const std::string& SampleGenerator::default_photo_reference() {
  static const std::string ref = photo_reference(sample_photo_png(0));
  return ref;
}

std::string SampleGenerator::sample_photo_jpeg(uint32_t variant, int w, int h) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);  // the defaults exit on error: our own fixed inputs cannot fail
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = 1;
  c.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 85, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::string row(static_cast<size_t>(w), '\0');
  while (c.next_scanline < c.image_height) {
    const int y = static_cast<int>(c.next_scanline) * 128 / h;
    for (int x = 0; x < w; ++x) {
      const int px = x * 96 / w, dx = px - 48, dy = y - 48, sx = px - 48, sy = y - 150;
      const bool person = dx * dx + dy * dy * 4 / 5 < 22 * 22 || (sx * sx + sy * sy / 2 < 60 * 60 && y > 80);
      row[static_cast<size_t>(x)] = static_cast<char>(person ? 70 + (variant % 7) * 8 : 225 + (variant % 5) * 6);
    }
    JSAMPROW r = reinterpret_cast<JSAMPROW>(row.data());
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string jpeg(reinterpret_cast<const char*>(out), size);
  std::free(out);
  return jpeg;
}

std::string SampleGenerator::sample_photo_png(uint32_t variant) {
  // 96x128 greyscale: a head-and-shoulders silhouette. Stored (uncompressed)
  // deflate blocks keep this free of a zlib dependency.
  const int w = 96, h = 128;
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < w; ++x) {
      int dx = x - w / 2, dy = y - 48;
      bool head = dx * dx + dy * dy * 4 / 5 < 22 * 22;
      int sx = x - w / 2, sy = y - 150;
      bool body = sx * sx + sy * sy / 2 < 60 * 60 && y > 80;
      unsigned char bg = static_cast<unsigned char>(225 + (variant % 5) * 6);
      raw += static_cast<char>(head || body ? 70 + (variant % 7) * 8 : bg);
    }
  }
  std::string z = "\x78\x01";
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t n = std::min<size_t>(65535, raw.size() - pos);
    bool last = pos + n == raw.size();
    z += static_cast<char>(last ? 1 : 0);
    z += static_cast<char>(n & 0xff);
    z += static_cast<char>(n >> 8);
    z += static_cast<char>(~n & 0xff);
    z += static_cast<char>((~n >> 8) & 0xff);
    z.append(raw, pos, n);
    pos += n;
  }
  uint32_t a = 1, b = 0;  // adler32
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  put32(z, (b << 16) | a);
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, w);
  put32(ihdr, h);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit greyscale
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

}  // namespace certledger::demo
