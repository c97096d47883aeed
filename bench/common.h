// Benchmark helpers: every figure is printed next to a reference measured in
// the same run, as a ratio (bench/RESULTS.md keeps the record).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace certledger::bench {

inline std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// `openssl speed` sign rate on one core for the line containing `marker`
// (e.g. "Ed25519", "SM2"): the third number from the end of that line.
inline double openssl_sign_rate(const std::string& alg, const std::string& marker, int seconds = 3) {
  std::string out = run_command("openssl speed -seconds " + std::to_string(seconds) + " " + alg + " 2>/dev/null");
  std::istringstream in(out);
  std::string line;
  double rate = 0;
  while (std::getline(in, line)) {
    if (line.find(marker) == std::string::npos || line.find("bits") == std::string::npos) continue;
    std::istringstream ls(line);
    std::vector<std::string> tok;
    std::string t;
    while (ls >> t) tok.push_back(t);
    if (tok.size() >= 4) rate = std::stod(tok[tok.size() - 2]);
  }
  return rate;
}

inline std::string machine_description() {
  std::string cpu = run_command("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
  while (!cpu.empty() && (cpu.back() == '\n' || cpu.front() == ' ')) {
    if (cpu.back() == '\n') cpu.pop_back();
    else cpu.erase(0, 1);
  }
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " +
         run_command("free -g | awk '/Mem:/{printf \"%s GiB\", $2}'");
}

inline std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("certledger-bench-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline void print_ratio(const char* what, double value, const char* unit, const char* ref_name, double ref,
                        double target = 0) {
  std::printf("%-44s %12.0f %-9s | %-30s %12.0f | ratio %.2f", what, value, unit, ref_name, ref,
              ref > 0 ? value / ref : 0.0);
  if (target > 0) std::printf(" (target %.2f: %s)", target, ref > 0 && value / ref >= target ? "met" : "NOT met");
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace certledger::bench
