#include "api/connections.h"

#include <fmt/format.h>

#include "ledger/util/json_scan.h"

namespace certledger::api {

std::string access_line(std::string_view client, std::string_view method, std::string_view path, std::string_view route,
                        int status, size_t bytes, double ms) {
  std::string line = "{\"client\":";
  json_append_string(line, client);
  line += ",\"method\":";
  json_append_string(line, method);
  line += ",\"path\":";
  json_append_string(line, path);
  line += ",\"route\":";
  json_append_string(line, route);
  line += fmt::format(",\"status\":{},\"bytes\":{},\"ms\":{:.3f}}}", status, bytes, ms);
  return line;
}

}  // namespace certledger::api
