#include "renderers/ttf_subset.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "ledger/util/utf8.h"

namespace certledger::render {

namespace {

uint16_t u16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((uint8_t(s[at]) << 8) | uint8_t(s[at + 1]));
}
uint32_t u32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint8_t(s[at + 3]);
}
void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xff);
}
void put32(std::string& s, uint32_t v) {
  for (int i = 24; i >= 0; i -= 8) s += static_cast<char>((v >> i) & 0xff);
}
void set32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

uint32_t checksum(std::string_view t) {
  uint32_t sum = 0;
  for (size_t i = 0; i < t.size(); i += 4) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = (v << 8) | (i + k < t.size() ? uint8_t(t[i + k]) : 0);
    sum += v;
  }
  return sum;
}

// Unicode -> glyph id from a (3,1) format 4 or (3,10) format 12 subtable.
std::map<char32_t, uint16_t> lookup(std::string_view cmap, const std::set<char32_t>& cps) {
  std::map<char32_t, uint16_t> out;
  const uint16_t n = u16(cmap, 2);
  size_t f4 = 0, f12 = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const uint16_t platform = u16(cmap, 4 + 8 * i), encoding = u16(cmap, 6 + 8 * i);
    const uint32_t off = u32(cmap, 8 + 8 * i);
    if (off + 2 > cmap.size()) continue;
    const uint16_t format = u16(cmap, off);
    if (platform == 3 && encoding == 1 && format == 4) f4 = off;
    if (platform == 3 && encoding == 10 && format == 12) f12 = off;
  }
  for (char32_t cp : cps) {
    uint16_t g = 0;
    if (f12) {
      const uint32_t groups = u32(cmap, f12 + 12);
      for (uint32_t k = 0; k < groups; ++k) {
        const size_t at = f12 + 16 + 12 * size_t(k);
        const uint32_t start = u32(cmap, at), end = u32(cmap, at + 4);
        if (cp >= start && cp <= end) {
          g = static_cast<uint16_t>(u32(cmap, at + 8) + (cp - start));
          break;
        }
      }
    } else if (f4 && cp <= 0xffff) {
      const uint16_t segs = u16(cmap, f4 + 6) / 2;
      const size_t ends = f4 + 14, starts = ends + 2 * segs + 2, deltas = starts + 2 * segs, ranges = deltas + 2 * segs;
      for (uint16_t k = 0; k < segs; ++k) {
        if (cp > u16(cmap, ends + 2 * k)) continue;
        const uint16_t start = u16(cmap, starts + 2 * k);
        if (cp < start) break;
        const uint16_t delta = u16(cmap, deltas + 2 * k), range = u16(cmap, ranges + 2 * k);
        if (range == 0) {
          g = static_cast<uint16_t>(cp + delta);
        } else {
          const size_t at = ranges + 2 * k + range + 2 * (cp - start);
          if (at + 2 <= cmap.size()) {
            g = u16(cmap, at);
            if (g) g = static_cast<uint16_t>(g + delta);
          }
        }
        break;
      }
    }
    if (g) out[cp] = g;
  }
  return out;
}

std::map<std::string, std::string_view> table_directory(std::string_view ttf) {
  std::map<std::string, std::string_view> tables;
  if (ttf.size() < 12) return tables;
  const uint16_t ntables = u16(ttf, 4);
  for (uint16_t i = 0; i < ntables; ++i) {
    const size_t rec = 12 + 16 * size_t(i);
    if (rec + 16 > ttf.size()) return {};
    const uint32_t off = u32(ttf, rec + 8), len = u32(ttf, rec + 12);
    if (size_t(off) + len > ttf.size()) return {};
    tables[std::string(ttf.substr(rec, 4))] = ttf.substr(off, len);
  }
  return tables;
}

}  // namespace

Result<TtfMetrics> TtfMetrics::parse(std::string_view ttf) {
  auto tables = table_directory(ttf);
  for (const char* need : {"head", "hhea", "hmtx", "cmap"})
    if (!tables.count(need)) return make_error(Errc::invalid_argument, "font: no usable TrueType tables");
  TtfMetrics m;
  m.cmap_ = tables["cmap"];
  m.hmtx_ = tables["hmtx"];
  m.units_per_em_ = std::max<uint16_t>(1, u16(tables["head"], 18));
  m.long_metrics_ = u16(tables["hhea"], 34);
  if (m.long_metrics_ == 0 || size_t(m.long_metrics_) * 4 > m.hmtx_.size())
    return make_error(Errc::invalid_argument, "font: bad hmtx");
  return m;
}

uint16_t TtfMetrics::glyph(char32_t cp) const {
  auto it = cache_.find(cp);
  if (it != cache_.end()) return it->second;
  auto found = lookup(cmap_, {cp});
  const uint16_t g = found.empty() ? 0 : found.begin()->second;
  cache_[cp] = g;
  return g;
}

double TtfMetrics::advance(char32_t cp) const {
  const uint16_t g = std::min<uint16_t>(glyph(cp), static_cast<uint16_t>(long_metrics_ - 1));
  return u16(hmtx_, 4 * size_t(g)) / static_cast<double>(units_per_em_);
}

double TtfMetrics::width(std::string_view utf8, double size) const {
  double w = 0;
  for (char32_t c : utf8_decode(utf8)) w += advance(c);
  return w * size;
}

namespace {

// Calls fn(offset) for each component record of the composite glyph that
// starts at `glyph` in `glyf` (the offset of the record's flags word),
// through the last one (MORE_COMPONENTS clear) or the end of the data.
template <class Fn>
void for_each_component(std::string_view glyf, size_t glyph, Fn&& fn) {
  size_t at = glyph + 10;
  for (uint16_t flags = 0x20; (flags & 0x20) && at + 4 <= glyf.size();) {
    flags = u16(glyf, at);
    fn(at);
    at += 4 + ((flags & 0x0001) ? 4 : 2);  // ARG_1_AND_2_ARE_WORDS
    if (flags & 0x0008) at += 2;           // WE_HAVE_A_SCALE
    else if (flags & 0x0040) at += 4;      // WE_HAVE_AN_X_AND_Y_SCALE
    else if (flags & 0x0080) at += 8;      // WE_HAVE_A_TWO_BY_TWO
  }
}

// The subset's cmap: (3,1) format 4 for the BMP and (3,10) format 12 for
// everything, one segment per code point.
std::string subset_cmap(const std::vector<std::pair<char32_t, uint16_t>>& pairs) {
  std::string f4, f12;
  std::vector<std::pair<char32_t, uint16_t>> bmp;
  for (auto p : pairs)
    if (p.first < 0xffff) bmp.push_back(p);
  const uint16_t segs = static_cast<uint16_t>(bmp.size() + 1);
  uint16_t sr = 1, es = 0;
  while (sr * 2 <= segs) sr *= 2, ++es;
  std::string body;
  put16(body, static_cast<uint16_t>(segs * 2));
  put16(body, static_cast<uint16_t>(sr * 2));
  put16(body, es);
  put16(body, static_cast<uint16_t>(segs * 2 - sr * 2));
  for (auto p : bmp) put16(body, static_cast<uint16_t>(p.first));
  put16(body, 0xffff);
  put16(body, 0);  // reservedPad
  for (auto p : bmp) put16(body, static_cast<uint16_t>(p.first));
  put16(body, 0xffff);
  for (auto p : bmp) put16(body, static_cast<uint16_t>(p.second - p.first));
  put16(body, 1);
  for (size_t i = 0; i < segs; ++i) put16(body, 0);
  put16(f4, 4);
  put16(f4, static_cast<uint16_t>(body.size() + 6));
  put16(f4, 0);  // language
  f4 += body;
  put16(f12, 12);
  put16(f12, 0);
  put32(f12, static_cast<uint32_t>(16 + 12 * pairs.size()));
  put32(f12, 0);
  put32(f12, static_cast<uint32_t>(pairs.size()));
  for (auto p : pairs) {
    put32(f12, p.first);
    put32(f12, p.first);
    put32(f12, p.second);
  }
  std::string cmap;
  put16(cmap, 0);
  put16(cmap, 2);
  put16(cmap, 3), put16(cmap, 1), put32(cmap, 4 + 2 * 8);
  put16(cmap, 3), put16(cmap, 10), put32(cmap, static_cast<uint32_t>(4 + 2 * 8 + f4.size()));
  cmap += f4;
  cmap += f12;
  return cmap;
}

// The font file: the table directory, then the tables 4-byte aligned, and
// head's checkSumAdjustment.
std::string assemble_font(const std::map<std::string, std::string>& out) {
  const uint16_t n = static_cast<uint16_t>(out.size());
  uint16_t pow2 = 1, log2 = 0;
  while (pow2 * 2 <= n) {
    pow2 *= 2;
    ++log2;
  }
  std::string font;
  put32(font, 0x00010000);
  put16(font, n);
  put16(font, static_cast<uint16_t>(pow2 * 16));
  put16(font, log2);
  put16(font, static_cast<uint16_t>(n * 16 - pow2 * 16));
  size_t offset = 12 + 16 * size_t(n), head_at = 0;
  std::string body;
  for (auto& [tag, data] : out) {
    font += tag;
    put32(font, checksum(data));
    put32(font, static_cast<uint32_t>(offset + body.size()));
    put32(font, static_cast<uint32_t>(data.size()));
    if (tag == "head") head_at = offset + body.size();
    body += data;
    while (body.size() % 4) body += '\0';
  }
  font += body;
  set32(font, head_at + 8, 0xB1B0AFBA - checksum(font));
  return font;
}

}  // namespace

Result<std::string> subset_ttf(std::string_view ttf, const std::set<char32_t>& cps) {
  auto bad = [](const char* m) { return make_error(Errc::invalid_argument, std::string("font: ") + m); };
  auto tables = table_directory(ttf);
  if (tables.empty()) return bad("not a TrueType font");
  for (const char* need : {"head", "hhea", "maxp", "hmtx", "cmap", "loca", "glyf"})
    if (!tables.count(need)) return bad("a required TrueType table is missing");
  std::string head(tables["head"]);
  const bool long_loca = u16(head, 50) == 1;
  const uint16_t glyphs = u16(tables["maxp"], 4);
  std::string_view loca = tables["loca"], glyf = tables["glyf"];
  auto glyph_range = [&](uint32_t g) -> std::pair<uint32_t, uint32_t> {
    if (long_loca) return {u32(loca, 4 * g), u32(loca, 4 * g + 4)};
    return {uint32_t(u16(loca, 2 * g)) * 2, uint32_t(u16(loca, 2 * g + 2)) * 2};
  };
  // Glyphs used, with composite components.
  std::set<uint32_t> used = {0};
  const auto mapped = lookup(tables["cmap"], cps);
  for (auto& [cp, g] : mapped) used.insert(g);
  std::vector<uint32_t> todo(used.begin(), used.end());
  while (!todo.empty()) {
    const uint32_t g = todo.back();
    todo.pop_back();
    if (g >= glyphs) continue;
    auto [a, b] = glyph_range(g);
    if (b <= a || b > glyf.size() || static_cast<int16_t>(u16(glyf, a)) >= 0) continue;
    for_each_component(glyf.substr(0, b), a, [&](size_t at) {
      const uint16_t comp = u16(glyf, at + 2);
      if (used.insert(comp).second) todo.push_back(comp);
    });
  }
  // Renumber: the used glyphs become 0..n-1 in their original order, so
  // loca, hmtx and cmap shrink with glyf (the text refers to code points).
  std::map<uint32_t, uint16_t> renum;
  for (uint32_t g : used)
    if (g < glyphs) renum.emplace(g, static_cast<uint16_t>(renum.size()));
  std::string new_glyf, new_loca, new_hmtx;
  std::string_view hmtx = tables["hmtx"];
  const uint16_t long_metrics = u16(tables["hhea"], 34);
  if (long_metrics == 0 || size_t(long_metrics) * 4 > hmtx.size()) return bad("bad hmtx");
  for (auto [g, ng] : renum) {
    put32(new_loca, static_cast<uint32_t>(new_glyf.size()));
    auto [a, b] = glyph_range(g);
    if (b > a && b <= glyf.size()) {
      std::string data(glyf.substr(a, b - a));
      if (data.size() >= 10 && static_cast<int16_t>(u16(data, 0)) < 0) {  // composite: renumber components
        for_each_component(data, 0, [&](size_t at) {
          const uint16_t comp = u16(data, at + 2), nc = renum.count(comp) ? renum[comp] : 0;
          data[at + 2] = static_cast<char>(nc >> 8);
          data[at + 3] = static_cast<char>(nc & 0xff);
        });
      }
      new_glyf += data;
      while (new_glyf.size() % 4) new_glyf += '\0';
    }
    if (g < long_metrics) {
      new_hmtx.append(hmtx.substr(4 * size_t(g), 4));
    } else {
      new_hmtx.append(hmtx.substr(4 * size_t(long_metrics - 1), 2));
      const size_t lsb = 4 * size_t(long_metrics) + 2 * size_t(g - long_metrics);
      new_hmtx.append(lsb + 2 <= hmtx.size() ? hmtx.substr(lsb, 2) : std::string_view("\0\0", 2));
    }
    (void)ng;
  }
  put32(new_loca, static_cast<uint32_t>(new_glyf.size()));
  const uint16_t count = static_cast<uint16_t>(renum.size());
  std::string hhea(tables["hhea"]), maxp(tables["maxp"]);
  hhea[34] = static_cast<char>(count >> 8), hhea[35] = static_cast<char>(count & 0xff);
  maxp[4] = static_cast<char>(count >> 8), maxp[5] = static_cast<char>(count & 0xff);
  std::vector<std::pair<char32_t, uint16_t>> pairs;
  for (auto [cp, g] : mapped)
    if (renum.count(g)) pairs.emplace_back(cp, renum[g]);
  std::string cmap = subset_cmap(pairs);
  head[50] = 0;
  head[51] = 1;       // long loca
  set32(head, 8, 0);  // checkSumAdjustment, set by assemble_font
  std::string post = std::string("\x00\x03\x00\x00", 4) + std::string(28, '\0');  // format 3: no glyph names
  if (tables.count("post") && tables["post"].size() >= 32) post.replace(4, 28, tables["post"].substr(4, 28));
  std::map<std::string, std::string> out = {{"head", head}, {"loca", new_loca}, {"glyf", new_glyf}, {"post", post},
                                            {"hhea", hhea}, {"maxp", maxp},     {"hmtx", new_hmtx}, {"cmap", cmap}};
  for (const char* keep : {"name", "OS/2", "cvt ", "fpgm", "prep", "gasp"})
    if (tables.count(keep)) out[keep] = std::string(tables[keep]);
  return assemble_font(out);
}

std::string gray_png(int w, int h, const std::string& pixels) {
  std::string raw;
  raw.reserve(static_cast<size_t>((w + 1) * h));
  for (int y = 0; y < h; ++y) {
    raw += '\0';
    raw.append(pixels, static_cast<size_t>(y * w), static_cast<size_t>(w));
  }
  uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
  std::string z(zlen, '\0');
  compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), 9);
  z.resize(zlen);
  auto chunk = [](std::string& png, const char* type, const std::string& data) {
    put32(png, static_cast<uint32_t>(data.size()));
    std::string td = std::string(type, 4) + data;
    png += td;
    put32(png,
          static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()))));
  };
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, static_cast<uint32_t>(w));
  put32(ihdr, static_cast<uint32_t>(h));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

}  // namespace certledger::render
