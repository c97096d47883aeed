// C2SP tlog-tiles (https://c2sp.org/tlog-tiles, the version of 2024): the
// log's tree served as static tiles. A hash tile at level L and index N
// holds W (1..256) consecutive node hashes of tree level 8L from node index
// N * 256; an entry bundle at index N holds entries N * 256 ... as
// big-endian uint16 length + the signed record. doc/tiles.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace certledger::merkle {

inline constexpr uint32_t kTileWidth = 256;  // hashes or entries in a full tile
inline constexpr unsigned kTileHeight = 8;   // tree levels per tile level

struct TileRef {
  bool entries = false;  // an entry bundle, not a hash tile
  uint8_t level = 0;     // hash tiles: tree level level * 8
  uint64_t index = 0;
  uint32_t width = kTileWidth;  // < kTileWidth: a partial tile (".p/<W>")
  bool operator==(const TileRef&) const = default;
};

// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", N in 3-digit path
// elements, all but the last prefixed with "x" (1234067: x001/x234/067).
std::string tile_path(const TileRef& t);
// The inverse; nullopt for anything but the one canonical spelling.
std::optional<TileRef> parse_tile_path(std::string_view path);

}  // namespace certledger::merkle
