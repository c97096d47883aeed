#include "ledger/domain/image.h"

#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <vector>

#include <jpeglib.h>

#include "ledger/util/hash.h"

namespace certledger::domain {

namespace {

Error bad(const std::string& m) { return make_error(Errc::invalid_argument, "photo: " + m, "photo"); }

Status check_size(uint64_t width, uint64_t height) {
  if (width == 0 || height == 0) return bad("the image has no pixels");
  if (width > kMaxPhotoSide || height > kMaxPhotoSide || width * height > kMaxPhotoPixels)
    return bad(std::to_string(width) + "x" + std::to_string(height) + " is larger than a photo may be (at most " +
               std::to_string(kMaxPhotoSide) + " pixels a side and " + std::to_string(kMaxPhotoPixels / 1000000) +
               " megapixels)");
  return {};
}

// ---- PNG (ISO/IEC 15948) ----

uint32_t be32(std::string_view b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) | (uint32_t(uint8_t(b[at + 2])) << 8) |
         uint8_t(b[at + 3]);
}

struct PngHeader {
  uint32_t width = 0, height = 0;
  uint8_t depth = 0, color = 0, interlace = 0;
};

Status check_png_header(std::string_view d, PngHeader& h) {
  if (d.size() != 13) return bad("the PNG header (IHDR) is not 13 bytes");
  h.width = be32(d, 0);
  h.height = be32(d, 4);
  h.depth = uint8_t(d[8]);
  h.color = uint8_t(d[9]);
  h.interlace = uint8_t(d[12]);
  if (d[10] != 0 || d[11] != 0 || h.interlace > 1) return bad("the PNG header names an unknown method");
  const bool ok = (h.color == 0 && (h.depth == 1 || h.depth == 2 || h.depth == 4 || h.depth == 8 || h.depth == 16)) ||
                  (h.color == 3 && (h.depth == 1 || h.depth == 2 || h.depth == 4 || h.depth == 8)) ||
                  ((h.color == 2 || h.color == 4 || h.color == 6) && (h.depth == 8 || h.depth == 16));
  if (!ok) return bad("the PNG header has an invalid colour type and bit depth");
  return check_size(h.width, h.height);
}

// Rows of the raw (filtered) image data, in stream order: (count, bytes
// per row without the filter byte), one entry per Adam7 pass if interlaced.
std::vector<std::pair<uint64_t, uint64_t>> png_rows(const PngHeader& h) {
  static const int channels[] = {1, 0, 3, 1, 2, 0, 4};
  const uint64_t bits = uint64_t(channels[h.color]) * h.depth;
  auto row_bytes = [&](uint64_t w) { return (w * bits + 7) / 8; };
  std::vector<std::pair<uint64_t, uint64_t>> rows;
  if (!h.interlace) {
    rows.emplace_back(h.height, row_bytes(h.width));
    return rows;
  }
  static const int pass[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                 {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  for (const auto& p : pass) {
    const uint64_t w = h.width > uint32_t(p[0]) ? (h.width - p[0] + p[2] - 1) / p[2] : 0;
    const uint64_t n = h.height > uint32_t(p[1]) ? (h.height - p[1] + p[3] - 1) / p[3] : 0;
    if (w && n) rows.emplace_back(n, row_bytes(w));
  }
  return rows;
}

// Inflates the image data, never past the size the header implies, and
// checks every row's filter type byte.
Status inflate_png(const std::string& idat, const PngHeader& h) {
  const auto rows = png_rows(h);
  uint64_t expected = 0;
  for (const auto& [n, bytes] : rows) expected += n * (1 + bytes);
  size_t pass = 0;
  uint64_t row = 0, at_in_row = 0;  // position within rows[pass]
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return make_error(Errc::internal, "zlib: cannot initialise");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(idat.data()));
  z.avail_in = static_cast<uInt>(idat.size());
  unsigned char out[16384];
  uint64_t total = 0;
  int rc = Z_OK;
  Status verdict;
  while (rc == Z_OK && verdict.ok()) {
    z.next_out = out;
    z.avail_out = sizeof out;
    rc = inflate(&z, Z_NO_FLUSH);
    const size_t got = sizeof out - z.avail_out;
    if (total + got > expected) {
      verdict = bad("the PNG image data inflates to more than its " + std::to_string(h.width) + "x" +
                    std::to_string(h.height) + " header allows");
      break;
    }
    total += got;
    for (size_t i = 0; i < got;) {
      if (at_in_row == 0 && out[i] > 4) {
        verdict = bad("a PNG row has an unknown filter type");
        break;
      }
      const uint64_t step = std::min<uint64_t>(got - i, 1 + rows[pass].second - at_in_row);
      i += step;
      at_in_row += step;
      if (at_in_row == 1 + rows[pass].second) {
        at_in_row = 0;
        if (++row == rows[pass].first) row = 0, ++pass;
      }
    }
  }
  inflateEnd(&z);
  if (!verdict.ok()) return verdict;
  if (rc != Z_STREAM_END) return bad("the PNG image data is damaged or cut short (does not inflate)");
  if (total != expected) return bad("the PNG image data holds less than its header says");
  return {};
}

Status check_png(std::string_view b) {
  size_t at = 8;
  PngHeader h;
  bool header = false, palette = false, end = false, idat_done = false;
  std::string idat;
  while (!end) {
    if (at + 12 > b.size()) return bad("the PNG has no IEND chunk (cut short?)");
    const uint32_t len = be32(b, at);
    if (len > b.size() - at - 12) return bad("a PNG chunk runs past the end of the file (cut short?)");
    const std::string_view type = b.substr(at + 4, 4), data = b.substr(at + 8, len);
    const auto crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(b.data() + at + 4), len + 4));
    if (crc != be32(b, at + 8 + len)) return bad("PNG chunk " + std::string(type) + " is damaged (CRC mismatch)");
    for (char c : type)
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return bad("a PNG chunk has an invalid type");
    if (!header && type != "IHDR") return bad("the PNG does not start with its header (IHDR)");
    if (type == "IHDR") {
      if (header) return bad("the PNG has two headers");
      CL_TRY(check_png_header(data, h));
      header = true;
    } else if (type == "PLTE") {
      if (palette || !idat.empty() || len == 0 || len % 3 || len > 768 || h.color == 0 || h.color == 4)
        return bad("the PNG palette (PLTE) is misplaced or malformed");
      palette = true;
    } else if (type == "IDAT") {
      if (idat_done) return bad("the PNG image data (IDAT) is not contiguous");
      idat.append(data);
    } else if (type == "IEND") {
      end = true;
    } else if (type[0] >= 'A' && type[0] <= 'Z') {
      return bad("the PNG has an unknown critical chunk " + std::string(type));
    }
    if (!idat.empty() && type != "IDAT") idat_done = true;
    at += 12 + len;
  }
  if (h.color == 3 && !palette) return bad("the palette PNG has no palette (PLTE)");
  if (idat.empty()) return bad("the PNG has no image data");
  return inflate_png(idat, h);
}

// ---- JPEG (ITU T.81), decoded with libjpeg ----

struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErrors*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_message(j_common_ptr c, int level) {
  if (level < 0) jpeg_fail(c);  // a warning: corrupt or truncated data
}

// No C++ object with a destructor lives in this frame: libjpeg unwinds by
// longjmp, and everything it allocated goes with jpeg_destroy_decompress.
Status check_jpeg(std::string_view b) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_fail;
  errors.mgr.emit_message = jpeg_message;
  errors.message[0] = 0;
  jpeg_create_decompress(&cinfo);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return bad(std::string("the JPEG does not decode: ") + errors.message);
  }
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(b.data()), static_cast<unsigned long>(b.size()));
  jpeg_read_header(&cinfo, TRUE);
  const uint64_t width = cinfo.image_width, height = cinfo.image_height;
  const J_COLOR_SPACE space = cinfo.jpeg_color_space;
  if (auto size = check_size(width, height);
      !size.ok() || (space != JCS_GRAYSCALE && space != JCS_YCbCr && space != JCS_RGB)) {
    jpeg_destroy_decompress(&cinfo);
    return size.ok() ? bad("the JPEG is not greyscale or colour (CMYK and other spaces do not print reliably)") : size;
  }
  jpeg_start_decompress(&cinfo);
  JSAMPARRAY row = (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                              cinfo.output_width * cinfo.output_components, 1);
  while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, row, 1);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return {};
}

}  // namespace

std::optional<std::string> sniff_image_type(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xff\xd8\xff") return "image/jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "image/png";
  return std::nullopt;
}

Status check_image(std::string_view b) {
  const auto type = sniff_image_type(b);
  if (!type) return bad("not a JPEG or PNG image");
  return *type == "image/jpeg" ? check_jpeg(b) : check_png(b);
}

std::string photo_reference(std::string_view bytes) { return "sha256:" + hash_hex(sha256(bytes)); }

}  // namespace certledger::domain
