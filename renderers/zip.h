// The zip container of OFD packages (libzip): written with fixed entry
// times so a package's bytes depend only on its files, and read back whole.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/util/result.h"
#include "ledger/util/time.h"

namespace certledger::render {

// The zip container of an OFD package (files in the given order).
Result<std::string> ofd_container(const std::vector<std::pair<std::string, std::string>>& files, UnixMillis mtime);

// Every file of a zip container: path -> bytes (invalid_argument if it is
// not one).
Result<std::map<std::string, std::string>> unzip(std::string_view bytes);

}  // namespace certledger::render
