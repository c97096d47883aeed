// Tests wait on a condition, not for a fixed time: wait_until polls `done`
// every 10 ms until it holds (true) or `limit` has passed (false).
#pragma once

#include <chrono>
#include <thread>

namespace certledger::testing {

template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace certledger::testing
