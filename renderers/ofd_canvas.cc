#include "renderers/ofd_canvas.h"

#include <cstdio>
#include <sstream>

namespace certledger::render::ofd {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::abs(v) < 0.0005 ? 0.0 : v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}
std::string nums(std::initializer_list<double> vs) {
  std::string s;
  for (double v : vs) {
    if (!s.empty()) s += ' ';
    s += num(v);
  }
  return s;
}
std::string color(Ink ink) {
  auto c = [](double v) { return std::to_string(static_cast<int>(std::lround(v * 255))); };
  return c(ink.r) + " " + c(ink.g) + " " + c(ink.b);
}

pugi::xml_node root(pugi::xml_document& doc, const char* name) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto r = doc.append_child(name);
  r.append_attribute("xmlns:ofd") = kNs;
  return r;
}
std::string xml(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}
void child_text(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

// Adds the font subset and the images to a canvas's package.
Status add_resources(OfdCanvas& c, std::vector<std::pair<std::string, std::string>>& files, std::string_view font) {
  CL_ASSIGN(std::string subset, subset_ttf(font, c.used()));
  files.emplace_back("Doc_0/Res/" + c.font_file(), std::move(subset));
  for (const auto& m : c.media()) files.emplace_back("Doc_0/Res/" + m.file, m.bytes);
  return {};
}

}  // namespace certledger::render::ofd
