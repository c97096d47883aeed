#include "api/metrics.h"

#include <cstdio>

namespace certledger::api {

namespace {

// Methods are label values: a client sending made-up methods must not be
// able to make up series.
const std::string& method_label(const std::string& method) {
  static const std::string known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static const std::string other = "other";
  for (const auto& k : known)
    if (method == k) return k;
  return other;
}

}  // namespace

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method_label(method), status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::gauge(std::string& out, const std::string& name, const std::string& help, double value,
                    const std::string& type) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + buf + "\n";
}

std::string Metrics::render() const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP certledger_http_requests_total HTTP requests by route, method and status code.\n";
    out += "# TYPE certledger_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      const auto& [route, method, code] = k;
      out += "certledger_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",code=\"" +
             std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP certledger_http_request_duration_seconds Time to answer, by route.\n";
    out += "# TYPE certledger_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", kBuckets[i]);
        out += "certledger_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"} " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += "certledger_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      char sum[64];
      std::snprintf(sum, sizeof sum, "%.9g", h.sum);
      out += "certledger_http_request_duration_seconds_sum{route=\"" + route + "\"} " + sum + "\n";
      out +=
          "certledger_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
    }
  }
  out += render_writers();
  return out;
}

std::string Metrics::render_writers() const {
  std::string out;
  for (const auto& w : writers_) w(out);
  return out;
}

}  // namespace certledger::api
