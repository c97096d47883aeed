// The personal-data classification of every field of every kind, and that
// the public form follows it: what is sensitive never reaches a public view
// in clear.
#include "ledger/domain/privacy.h"

#include <gtest/gtest.h>

namespace certledger::domain {
namespace {

TEST(Privacy, EveryFieldOfEveryKindIsClassifiedAndShownToThePublicByItsClass) {
  size_t sensitive = 0, personal = 0;
  for (const auto& kind : all_kinds()) {
    for (const auto& f : kind.fields) {
      const Privacy p = privacy_of(kind, f);
      const PublicForm form = public_form_of(kind, f);
      SCOPED_TRACE(std::string(kind.code) + "." + std::string(f.name));
      if (f.type == FieldType::id_number) EXPECT_EQ(form, PublicForm::masked_id);
      if (f.type == FieldType::photo) EXPECT_EQ(form, PublicForm::hidden);
      if (p == Privacy::sensitive) {
        ++sensitive;
        EXPECT_NE(form, PublicForm::shown) << "sensitive personal information is never shown in clear";
      }
      if (p == Privacy::personal) ++personal;
      if (kind.holder == HolderType::organisation) EXPECT_NE(p, Privacy::personal);
      if (kind.holder == HolderType::person && f.name == kind.holder_name_field) {
        EXPECT_EQ(p, Privacy::personal);
        EXPECT_EQ(form, PublicForm::masked_name);
      }
    }
  }
  EXPECT_EQ(sensitive, 10u) << "id_number and photo of the five personnel kinds";
  EXPECT_GE(personal, 5u);
}

TEST(Privacy, PublicValuesMaskNamesAndIdNumbersAndDropPhotos) {
  const KindDescriptor& k = *find_kind("special_operation");
  auto value = [&](std::string_view field, const nlohmann::json& v) { return public_value(k, *k.field(field), v); };
  EXPECT_EQ(*value("name", "欧阳娜娜"), "欧**娜");
  EXPECT_EQ(*value("id_number", "11010519491231002X"), "110105********002X");
  EXPECT_FALSE(value("photo", "sha256:00").has_value());
  EXPECT_EQ(*value("post", "架子工"), "架子工");
  EXPECT_EQ(mask_person_name("李四"), "李*");
  EXPECT_EQ(mask_id_number("123"), "***");
}

}  // namespace
}  // namespace certledger::domain
