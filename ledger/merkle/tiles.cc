#include "ledger/merkle/tiles.h"

#include <vector>

namespace certledger::merkle {

std::string tile_path(const TileRef& t) {
  std::string out = t.entries ? "tile/entries/" : "tile/" + std::to_string(t.level) + "/";
  std::vector<unsigned> groups;
  uint64_t n = t.index;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  for (size_t i = groups.size(); i-- > 0;) {
    if (i > 0) out += 'x';
    const unsigned g = groups[i];
    out += static_cast<char>('0' + g / 100);
    out += static_cast<char>('0' + g / 10 % 10);
    out += static_cast<char>('0' + g % 10);
    if (i > 0) out += '/';
  }
  if (t.width < kTileWidth) out += ".p/" + std::to_string(t.width);
  return out;
}

std::optional<TileRef> parse_tile_path(std::string_view path) {
  const std::string_view original = path;
  TileRef t;
  if (!path.starts_with("tile/")) return std::nullopt;
  path.remove_prefix(5);
  if (path.starts_with("entries/")) {
    t.entries = true;
    path.remove_prefix(8);
  } else {
    const size_t slash = path.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash > 2) return std::nullopt;
    unsigned level = 0;
    for (char c : path.substr(0, slash)) {
      if (c < '0' || c > '9') return std::nullopt;
      level = level * 10 + static_cast<unsigned>(c - '0');
    }
    if (level > 63) return std::nullopt;
    t.level = static_cast<uint8_t>(level);
    path.remove_prefix(slash + 1);
  }
  if (const size_t p = path.find(".p/"); p != std::string_view::npos) {
    const std::string_view w = path.substr(p + 3);
    if (w.empty() || w.size() > 3) return std::nullopt;
    uint32_t width = 0;
    for (char c : w) {
      if (c < '0' || c > '9') return std::nullopt;
      width = width * 10 + static_cast<uint32_t>(c - '0');
    }
    if (width == 0 || width >= kTileWidth) return std::nullopt;
    t.width = width;
    path = path.substr(0, p);
  }
  // 3-digit elements, "x" before all but the last; at most 2^64 - 1.
  unsigned __int128 n = 0;
  while (true) {
    const bool last = path.size() == 3;
    if (!last && (path.size() < 5 || path[0] != 'x' || path[4] != '/')) return std::nullopt;
    const std::string_view digits = last ? path : path.substr(1, 3);
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    n = n * 1000 + static_cast<unsigned>((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
    if (n > UINT64_MAX) return std::nullopt;
    if (last) break;
    path.remove_prefix(5);
  }
  t.index = static_cast<uint64_t>(n);
  // One spelling per tile: no "x000/" in front, no leading zeros in L.
  if (tile_path(t) != original) return std::nullopt;
  return t;
}

}  // namespace certledger::merkle
