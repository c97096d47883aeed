// Progress on stderr: a bar with rate and ETA on a terminal, plain lines
// every few seconds otherwise.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace certledger::ctl {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2)) {}
  void update(uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    if (elapsed < 1.0 && !shown_) return;  // quick jobs print nothing
    double since = std::chrono::duration<double>(now - last_).count();
    if (done < total && since < (tty_ ? 0.2 : 5.0)) return;
    last_ = now;
    double rate = elapsed > 0 ? done / elapsed : 0;
    double eta = rate > 0 && total > done ? (total - done) / rate : 0;
    if (tty_) {
      int width = 30, filled = total ? static_cast<int>(width * done / total) : width;
      std::fprintf(stderr, "\r%s [%s%s] %llu/%llu %.0f/s ETA %.0fs ", label_.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), (unsigned long long)done, (unsigned long long)total, rate,
                   eta);
      if (done >= total) std::fprintf(stderr, "\n");
    } else {
      std::fprintf(stderr, "%s: %llu/%llu (%.0f/s, ETA %.0fs)\n", label_.c_str(), (unsigned long long)done,
                   (unsigned long long)total, rate, eta);
    }
    shown_ = true;
  }

 private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace certledger::ctl
