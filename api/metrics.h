// Prometheus text exposition (version 0.0.4): request counters by route and
// code, latency histograms by route, and gauges supplied at scrape time.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace certledger::api {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  // Methods other than GET, HEAD, POST, PUT, DELETE, PATCH and OPTIONS are
  // counted as "other".
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  // Extra families appended at scrape time (ledger, sequencer, relay, RocksDB).
  using Writer = std::function<void(std::string& out)>;
  void add_writer(Writer w) { writers_.push_back(std::move(w)); }
  std::string render() const;
  // Only the writers' families (no request counters).
  std::string render_writers() const;

  // Helpers for writers.
  static void gauge(std::string& out, const std::string& name, const std::string& help, double value,
                    const std::string& type = "gauge");

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::vector<Writer> writers_;
};

}  // namespace certledger::api
