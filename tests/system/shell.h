// Runs a shell command (real tools: kcat, pdfsig, ...) and returns what it
// wrote to standard output.
#pragma once

#include <cstdio>
#include <string>

namespace certledger::testing {

inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace certledger::testing
