#include "renderers/layout.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "ledger/domain/validate.h"
#include "ledger/util/hash.h"
#include "ledger/util/utf8.h"
#include "projections/cert_view.h"

namespace certledger::render {

using nlohmann::json;

std::vector<std::string> title_lines(const std::string& name) {
  const std::string tail = "安全生产知识考核合格证书";
  if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
    return {name.substr(0, name.size() - tail.size()), tail};
  const std::string tail2 = "岗位培训考核合格证书";
  if (name.size() > tail2.size() && name.compare(name.size() - tail2.size(), tail2.size(), tail2) == 0)
    return {name.substr(0, name.size() - tail2.size()), tail2};
  return {name};
}

std::vector<Row> field_rows(const DocumentInput& in) {
  const auto& k = *in.kind;
  std::vector<Row> rows;
  json shown = in.masked ? projections::public_fields(k, in.fields) : in.fields;
  auto push = [&](const domain::FieldSpec& spec) {
    auto it = shown.find(std::string(spec.name));
    if (it == shown.end() || it->is_null()) return;
    rows.push_back({std::string(spec.label), display_lines(spec, *it)});
  };
  if (const auto* num = k.field("number")) push(*num);
  for (const auto& spec : k.fields) {
    if (spec.name == "number" || spec.name == "photo" || spec.name == "issue_date") continue;
    if (spec.name == "valid_from" && k.holder == domain::HolderType::organisation) continue;
    if (spec.name == "valid_until" && k.holder == domain::HolderType::organisation) {
      std::string from = shown.value("valid_from", ""), until = shown.value("valid_until", "");
      rows.push_back({"有效期", {display_date(from) + " 至 " + display_date(until)}});
      continue;
    }
    push(spec);
  }
  return rows;
}

std::string statement(const DocumentInput& in) {
  if (in.kind->statement.empty()) return {};
  return "本电子证书由" + in.authority.name + "核发。" + std::string(in.kind->statement);
}

static bool person(const DocumentInput& in) { return in.kind->holder == domain::HolderType::person; }

std::string issuing_line(const DocumentInput& in) {
  return std::string(person(in) ? "发证单位：" : "发证机关：") + in.authority.name;
}

std::string issued_line(const DocumentInput& in) {
  return std::string(person(in) ? "发证时间：" : "发证日期：") + display_date(in.fields.value("issue_date", ""));
}

std::string qr_caption(const DocumentInput& in) { return person(in) ? "实时数据，扫码验证" : "扫码查验，实时数据"; }

void CodePointCanvas::record(const std::string& s) {
  for (char32_t c : utf8_decode(s)) used_.insert(c);
}

std::vector<std::string> Canvas::wrap(const std::string& s, double size, double max) {
  std::vector<std::string> lines;
  std::string cur;
  double cw = 0;
  for (char32_t c : utf8_decode(s)) {
    std::string ch = utf8_encode(c);
    double dw = width(ch, size);
    if (cw + dw > max && !cur.empty()) {
      lines.push_back(cur);
      cur.clear();
      cw = 0;
    }
    cur += ch;
    cw += dw;
  }
  if (!cur.empty() || lines.empty()) lines.push_back(cur);
  return lines;
}

// The verdict is remembered per photo (documents of a person are rendered
// again and again; inflating the photo each time would dominate).
bool photo_usable(const std::string& b) {
  static std::mutex mu;
  static std::unordered_map<std::string, bool> seen;
  const std::string key = hash_bytes(sha256(b));
  {
    std::lock_guard lock(mu);
    if (auto it = seen.find(key); it != seen.end()) return it->second;
  }
  // Photos stored before intake checked them may still be damaged.
  const bool ok = domain::check_image(b).ok();
  std::lock_guard lock(mu);
  if (seen.size() > 4096) seen.clear();
  seen.emplace(key, ok);
  return ok;
}

namespace {

void draw_frame(Canvas& c, double w, double h) {
  c.stroke_rect(18, 18, w - 36, h - 36, 3.0, kFrame);
  c.stroke_rect(26, 26, w - 52, h - 52, 0.8, kFrame);
}

// The electronic seal: double ring, five-pointed star, the authority's name
// along the upper arc and 电子证照专用章 below the star.
void draw_seal(Canvas& c, double cx, double cy, double r, const std::string& name) {
  c.stroke_circle(cx, cy, r, r * 0.06, kSeal);
  c.stroke_circle(cx, cy, r * 0.92, r * 0.015, kSeal);
  const double sr = r * 0.26;
  std::vector<std::pair<double, double>> star;
  for (int i = 0; i < 10; ++i) {
    double a = M_PI / 2 + i * M_PI / 5, rr = i % 2 ? sr * 0.382 : sr;
    star.emplace_back(cx + rr * std::cos(a), cy + rr * std::sin(a));
  }
  c.fill_polygon(star, kSeal);
  auto chars = utf8_decode(name);
  const size_t n = chars.size();
  const double span = std::min(M_PI * 1.25, 0.30 * static_cast<double>(n));  // radians covered by the name
  const double size = std::min(r * 0.30, r * 0.78 * span / static_cast<double>(std::max<size_t>(n, 1)) * 1.15);
  for (size_t i = 0; i < n; ++i) {
    double a = M_PI / 2 + span / 2 - (static_cast<double>(i) + 0.5) * span / static_cast<double>(n);
    double rr = r * 0.72;
    c.glyph(cx + rr * std::cos(a), cy + rr * std::sin(a), a - M_PI / 2, utf8_encode(chars[i]), size, kSeal);
  }
  c.centered(cx, cy - r * 0.55, "电子证照专用章", r * 0.16, kSeal);
}

// The status word along the page's rising diagonal, in large translucent
// red glyphs, then once more under it in small type with the reason to
// look it up: a copy of a certificate that no longer stands says so on
// every page.
void draw_status_mark(Canvas& c, double W, double H, const std::string& word) {
  std::vector<std::string> glyphs;
  for (size_t i = 0; i < word.size();) {
    size_t n = 1;
    const auto b = static_cast<unsigned char>(word[i]);
    if (b >= 0xf0) n = 4;
    else if (b >= 0xe0) n = 3;
    else if (b >= 0xc0) n = 2;
    glyphs.push_back(word.substr(i, n));
    i += n;
  }
  if (glyphs.empty()) return;
  const double angle = std::atan2(H, W), size = std::min(W, H) * 0.2;
  const double step = size * 1.15, span = step * static_cast<double>(glyphs.size() - 1);
  c.push_opacity(0.28);
  for (size_t i = 0; i < glyphs.size(); ++i) {
    const double d = -span / 2 + step * static_cast<double>(i);
    c.glyph(W / 2 + d * std::cos(angle), H / 2 + d * std::sin(angle) - size * 0.35, angle, glyphs[i], size, kSeal);
  }
  c.pop_opacity();
}

}  // namespace

void Canvas::seal(double cx, double cy, double r, const std::string& name) {
  push_opacity(0.82);
  draw_seal(*this, cx, cy, r, name);
  pop_opacity();
}

namespace {

struct ClosingArea {
  double left, right;  // the text column
  double y;            // below the last field line
  double bottom;       // the fields' lower limit on the last page
  bool landscape;
};

// The closing block of the last page: the statement (personnel) under the
// fields, the QR and its caption bottom left, the issuing lines under the
// seal bottom right, and the footer with the identifiers.
void draw_closing(const DocumentInput& in, const QrMatrix& qr, Canvas& c, const ClosingArea& a) {
  const auto& k = *in.kind;
  const double left = a.left, right = a.right, y = a.y, bottom = a.bottom;
  const bool landscape = a.landscape;
  // Statement (personnel) under the fields.
  if (!k.statement.empty()) {
    double sy = std::min(y - 6, bottom + 40);
    for (const auto& l : c.wrap(statement(in), 11, right - left)) {
      c.text(left, sy, l, 11, kLabel);
      sy -= 17;
    }
  }

  // QR and its caption, bottom left.
  const double qr_side = landscape ? 118 : 124, qx = left, qy = 78;
  c.qr(qr, qx, qy, qr_side);
  c.centered(qx + qr_side / 2, qy - 16, qr_caption(in), 10.5, kLabel);

  // Issuing authority and date, bottom right, under the seal (centred on
  // the authority's name).
  const std::string line1 = issuing_line(in), line2 = issued_line(in);
  const double block = std::max(c.width(line1, 13), c.width(line2, 13));
  const double bx = right - block;
  c.text(bx, qy + 66, line1, 13, kText);
  c.text(bx, qy + 40, line2, 13, kText);
  c.seal(right - c.width(in.authority.name, 13) / 2, qy + 58, 58, in.authority.name);

  // Footer: identifiers and version.
  const std::string footer = "电子证照标识：" + in.elicense;
  double fsize = 8.5;
  while (c.width(footer, fsize) > right - left && fsize > 6) fsize -= 0.25;
  c.text(left, 44, footer, fsize, kLabel);
  c.text(left, 33,
         "证书版本：第 " + std::to_string(in.version) + " 版　证照ID：" + in.certificate_id +
             (in.masked ? "　公开查验副本（个人信息已脱敏）" : ""),
         fsize, kLabel);
}

}  // namespace

void lay_out(const DocumentInput& in, const QrMatrix& qr, Canvas& c) {
  const auto& k = *in.kind;
  const bool landscape = k.orientation == domain::Orientation::landscape;
  const double W = landscape ? kA4Long : kA4Short, H = landscape ? kA4Short : kA4Long;
  auto new_page = [&] {
    c.begin_page(W, H);
    draw_frame(c, W, H);
    if (!in.status_mark.empty()) draw_status_mark(c, W, H, in.status_mark);
  };
  new_page();

  // Title.
  const double left = landscape ? 70 : 60, right = W - (landscape ? 70 : 60);
  double y = H - (landscape ? 80 : 95);
  for (const auto& line : title_lines(std::string(k.name))) {
    double size = 26;
    while (c.width(line, size) > right - left && size > 14) size -= 1;
    c.centered(W / 2, y, line, size, kText);
    y -= size * 1.35;
  }
  c.centered(W / 2, y + 4, "（电子证书）", 11, kLabel);
  y -= 34;

  // Photo box (personnel) on the right of the fields.
  double fields_right = right;
  if (person(in)) {
    const double pw = 96, ph = 128, px = right - pw, py = y - ph + 10;
    c.stroke_rect(px - 2, py - 2, pw + 4, ph + 4, 0.6, kLabel);
    if (in.photo && !in.masked && photo_usable(*in.photo)) c.image(*in.photo, px, py, pw, ph);
    else c.centered(px + pw / 2, py + ph / 2, in.photo && !in.masked ? "照片无法显示" : "照片", 12, kLabel);
    fields_right = px - 16;
  }

  // Fields: label column, wrapped values; a continuation page if needed.
  const double size = landscape ? 14 : 13.5, lead = size * 1.75;
  const double bottom = landscape ? 200 : 245;
  const auto rows = field_rows(in);
  int page = 1;
  auto continuation = [&] {
    new_page();
    c.centered(W / 2, H - 80, std::string(k.name) + "（续页）", 18, kText);
    c.centered(W / 2, H - 100, "证照ID：" + in.certificate_id + "　第 " + std::to_string(++page) + " 页", 9, kLabel);
    y = H - 135;
    fields_right = right;
  };
  double label_w = 0;
  for (const auto& row : rows) label_w = std::max(label_w, c.width(row.label + "：", size));
  label_w += 10;
  // The last page keeps the fields above `bottom` (statement, QR, issuing
  // lines and seal below); a page the fields overflow is not the last and
  // is used down to the footer.
  const double deep = 70;
  bool overflowing = false;
  for (const auto& row : rows) {
    // Each value (a list item) wrapped on its own: an item is never split
    // across pages.
    std::vector<std::vector<std::string>> items;
    size_t lines = 0;
    for (const auto& l : row.lines) lines += items.emplace_back(c.wrap(l, size, fields_right - left - label_w)).size();
    if (!overflowing && y - lead * static_cast<double>(lines) < bottom && lines < 30) continuation();
    c.text(left, y, row.label + "：", size, kLabel);
    for (const auto& item : items) {
      auto last_line = [&] { return y - lead * (static_cast<double>(item.size()) - 1); };
      if (last_line() < bottom) overflowing = true;
      if (overflowing && last_line() < deep) {
        continuation();
        overflowing = last_line() < bottom;
      }
      for (const auto& l : item) {
        c.text(left + label_w, y, l, size, kText);
        y -= lead;
      }
    }
  }
  if (overflowing) continuation();  // the closing block gets a page of its own
  draw_closing(in, qr, c, {left, right, y, bottom, landscape});
}

}  // namespace certledger::render
