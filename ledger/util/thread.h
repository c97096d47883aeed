// Names the calling thread (shown by top -H, perf, gdb); Linux limits a name
// to 15 bytes, longer names are cut.
#pragma once

#include <pthread.h>

#include <string>

namespace certledger {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace certledger
