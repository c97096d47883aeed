// Photo intake: the PNG chunk walk and bounded inflate, the JPEG decode.
#include "ledger/domain/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)certledger::domain::check_image(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
