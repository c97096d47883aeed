#include "renderers/zip.h"

#include <zip.h>

namespace certledger::render {

Result<std::string> ofd_container(const std::vector<std::pair<std::string, std::string>>& files, UnixMillis mtime) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!src) return make_error(Errc::internal, "zip: cannot create a buffer");
  zip_source_keep(src);
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  if (!za) {
    zip_source_free(src);
    return make_error(Errc::internal, std::string("zip: ") + zip_error_strerror(&err));
  }
  for (const auto& [name, data] : files) {
    zip_source_t* s = zip_source_buffer(za, data.data(), data.size(), 0);
    const zip_int64_t idx = s ? zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (s) zip_source_free(s);
      std::string why = zip_strerror(za);
      zip_discard(za);
      zip_source_free(src);
      return make_error(Errc::internal, "zip: " + why);
    }
    zip_file_set_mtime(za, static_cast<zip_uint64_t>(idx), static_cast<time_t>(mtime / 1000), 0);
  }
  if (zip_close(za) != 0) {
    std::string why = zip_strerror(za);
    zip_discard(za);
    zip_source_free(src);
    return make_error(Errc::internal, "zip: " + why);
  }
  std::string out;
  if (zip_source_open(src) == 0) {
    zip_source_seek(src, 0, SEEK_END);
    out.resize(static_cast<size_t>(zip_source_tell(src)));
    zip_source_seek(src, 0, SEEK_SET);
    zip_source_read(src, out.data(), out.size());
    zip_source_close(src);
  }
  zip_source_free(src);
  if (out.empty()) return make_error(Errc::internal, "zip: empty archive");
  return out;
}

Result<std::map<std::string, std::string>> unzip(std::string_view bytes) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  zip_t* za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) : nullptr;
  if (!za) {
    if (src) zip_source_free(src);
    return make_error(Errc::invalid_argument, std::string("not an OFD zip container: ") + zip_error_strerror(&err));
  }
  std::map<std::string, std::string> files;
  const zip_int64_t n = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
    std::string data(static_cast<size_t>(st.size), '\0');
    zip_file_t* f = zip_fopen_index(za, static_cast<zip_uint64_t>(i), 0);
    const bool ok = f && zip_fread(f, data.data(), data.size()) == static_cast<zip_int64_t>(data.size());
    if (f) zip_fclose(f);
    if (!ok) {
      zip_close(za);
      return make_error(Errc::invalid_argument, std::string("OFD: cannot read ") + st.name);
    }
    files[st.name] = std::move(data);
  }
  zip_close(za);
  return files;
}

}  // namespace certledger::render
