// Photos (the personnel certificates' 照片): what is accepted, checked once at
// intake so that every document that places a photo can render it.
//
// A photo is a PNG or a baseline/progressive JPEG of at most kMaxPhotoPixels
// pixels and kMaxPhotoSide on either side (an ID photo is ~0.2 megapixels).
// PNGs are checked chunk by chunk (CRCs, IHDR values, PLTE where needed, no
// unknown critical chunk) and their image data is inflated with a bound: it
// must inflate to exactly the bytes the header implies, each row with a
// valid filter type, and inflation stops as soon as it would exceed them (a
// 2 MB IDAT cannot make us inflate 2 GB). JPEGs are decoded in full with
// libjpeg; any warning about corrupt data counts as an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ledger/util/result.h"

namespace certledger::domain {

inline constexpr uint64_t kMaxPhotoPixels = 2'000'000;
inline constexpr uint32_t kMaxPhotoSide = 4000;

// "image/jpeg" or "image/png" by magic bytes; nullopt for anything else.
std::optional<std::string> sniff_image_type(std::string_view bytes);
// Whether the bytes are a photo as described above. The error
// (invalid_argument, field "photo") says what is wrong.
Status check_image(std::string_view bytes);
// The content-hash reference stored in events: "sha256:<hex>".
std::string photo_reference(std::string_view bytes);

}  // namespace certledger::domain
