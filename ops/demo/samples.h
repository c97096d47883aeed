// Realistic sample data for the demo (ledgerd --demo), tests and benchmarks: plausible names,
// addresses and scopes, valid check characters, business numbers in each
// kind's format. Deterministic for a given seed. Never used on real data.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "ledger/domain/certificate.h"
#include "ledger/domain/kinds.h"
#include "ledger/util/time.h"

namespace certledger::demo {

class SampleGenerator {
 public:
  explicit SampleGenerator(uint64_t seed) : rng_(seed) {}

  // A valid 统一社会信用代码 for an enterprise registered in `area` (6 digits).
  std::string uscc(const std::string& area = "440100");
  // A valid 身份证号 for someone born between 1960 and 2000.
  std::string id_number(const std::string& area = "320102");
  std::string person_name();
  std::string company_name(const std::string& city = "广州");
  std::string address(const std::string& province = "广东省", const std::string& city = "广州");
  // A complete valid field set for `kind`, issued on `issue_date`, for the
  // given authority (its province abbreviation feeds the business number).
  nlohmann::json fields(const domain::KindDescriptor& kind, const domain::AuthorityInfo& authority, Date issue_date,
                        const std::string& photo_ref = {});
  // A small valid PNG (grey silhouette on a light background), for photos.
  static std::string sample_photo_png(uint32_t variant);
  // The photo fields() names when given none: sample_photo_png(0), which a
  // workload uploads (Ledger::put_blob) for each authority it issues with.
  static const std::string& default_photo_reference();
  // The same silhouette as a baseline JPEG (libjpeg), width x height.
  static std::string sample_photo_jpeg(uint32_t variant, int width = 96, int height = 128);

  uint32_t next(uint32_t bound) { return std::uniform_int_distribution<uint32_t>(0, bound - 1)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::string digits(int n);
  std::string number(const domain::KindDescriptor& kind, const domain::AuthorityInfo& a, Date issue_date);
  std::mt19937_64 rng_;
};

// Commands for generated workloads (demo, tests, benchmarks), as an
// approver named `operator_name`.
domain::CommandInput sample_issue(SampleGenerator& gen, const domain::KindDescriptor& kind,
                                  const domain::AuthorityInfo& authority, Date issue_date,
                                  const std::string& operator_name);
// Reissue after loss (补办).
domain::CommandInput sample_reissue(const std::string& certificate_id, const std::string& operator_name);

// The demo authorities of the four provinces in the notices (Guangdong,
// Liaoning, Fujian, Jiangsu), with valid codes.
std::vector<domain::AuthorityInfo> demo_authorities();

}  // namespace certledger::demo
