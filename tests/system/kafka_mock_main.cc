// A standalone Kafka cluster for tests that must outlive a primary's
// process: librdkafka's mock cluster (real brokers on 127.0.0.1) with the
// certledger topics. Prints the bootstrap address, runs until stdin closes.
#include <cstdio>
#include <iostream>
#include <string>

#include "ledger/stream/kafka.h"

int main(int argc, char** argv) {
  std::string prefix = argc > 1 ? argv[1] : "certledger";
  auto c = certledger::stream::EmbeddedCluster::start(3);
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", c.error().message.c_str());
    return 1;
  }
  for (auto [t, n] :
       {std::pair{prefix + ".events", 6}, std::pair{prefix + ".status", 6}, std::pair{prefix + ".checkpoints", 1}})
    if (!(*c)->create_topic(t, n).ok()) return 1;
  std::printf("%s\n", (*c)->bootstrap().c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {}
  return 0;
}
