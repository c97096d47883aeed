// Content-addressed photo blobs, owned by the authorities that uploaded them.
#include "ledger/ledger.h"

#include "ledger/domain/image.h"

namespace certledger {

Result<std::string> Ledger::put_blob(const std::string& authority, std::string_view bytes) {
  if (options_.read_only) return make_error(Errc::unavailable, "the ledger is open read-only");
  if (!this->authority(authority)) return make_error(Errc::not_found, "no authority " + authority);
  if (bytes.empty() || bytes.size() > 2 * 1024 * 1024)
    return make_error(Errc::invalid_argument, "a photo must be 1 byte to 2 MiB", "photo");
  // A photo that would not render is refused here, not discovered later on
  // the document.
  CL_TRY(domain::check_image(bytes));
  std::string ref = domain::photo_reference(bytes);
  // A photo is sensitive personal data (biometric): sealed at rest.
  if (!vault_) return make_error(Errc::unavailable, "this ledger has no key vault to seal photos");
  CL_ASSIGN(std::string sealed, vault_->seal_blob(ref, bytes));
  CL_TRY(store_->put_blob(ref, sealed, authority));
  return ref;
}

std::optional<std::string> Ledger::blob(std::string_view ref) const {
  auto stored = store_->blob(ref);
  if (!stored || !vault_) return stored;
  auto opened = vault_->open_blob(ref, *stored);
  if (!opened.ok()) return std::nullopt;
  return std::move(*opened);
}

bool Ledger::blob_owned_by(const std::string& authority, std::string_view ref) const {
  return store_->blob_owned_by(ref, authority);
}

}  // namespace certledger
