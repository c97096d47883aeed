// What the server keeps about its connections without any networking:
// the caps on open connections (in all and per client address) and the
// access log line of each answered request.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace certledger::api {

// Open connections, in all and per client address. A connection holds a
// Slot for its life; accept() refuses one it cannot get.
class Connections {
 public:
  Connections(int max_total, int max_per_client) : max_total_(max_total), max_per_client_(max_per_client) {}
  class Slot {
   public:
    Slot(Connections* c, std::string client) : c_(c), client_(std::move(client)) {}
    Slot(Slot&& o) noexcept : c_(std::exchange(o.c_, nullptr)), client_(std::move(o.client_)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (c_) c_->release(client_);
    }

   private:
    Connections* c_;
    std::string client_;
  };
  std::optional<Slot> take(const std::string& client) {
    std::lock_guard lock(mu_);
    if (total_ >= max_total_) return std::nullopt;
    int& n = per_client_[client];
    if (n >= max_per_client_) return std::nullopt;
    ++n;
    ++total_;
    return Slot(this, client);
  }

 private:
  void release(const std::string& client) {
    std::lock_guard lock(mu_);
    --total_;
    if (auto it = per_client_.find(client); it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
  }
  const int max_total_, max_per_client_;
  std::mutex mu_;
  int total_ = 0;
  std::unordered_map<std::string, int> per_client_;
};

// One access log line: a JSON object.
std::string access_line(std::string_view client, std::string_view method, std::string_view path, std::string_view route,
                        int status, size_t bytes, double ms);

}  // namespace certledger::api
