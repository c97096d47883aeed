// Merkle proofs: the API's proof requests (any query string) and a client's
// verification of proofs it is given (any index, size, leaf, root and path),
// RFC 9162 §2.1.3.2 and §2.1.4.2. A proof the server produced must verify.
#include <fuzzer/FuzzedDataProvider.h>

#include "ledger/merkle/tree.h"
#include "ledger/util/encoding.h"
#include "tests/fuzz/world.h"

using namespace certledger;

namespace {

std::optional<Hash256> hash_from(const std::optional<std::string>& bytes) {
  if (!bytes || bytes->size() != 32) return std::nullopt;
  Hash256 h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

Hash256 hash_of(FuzzedDataProvider& in) {
  Hash256 h{};
  auto b = in.ConsumeBytes<uint8_t>(32);
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = fuzz::World::get();
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0: {  // a request to the API, and the answer checked as a client would
      api::Request r;
      r.method = "GET";
      r.client = "fuzz";
      const bool inclusion = in.ConsumeBool();
      r.target = std::string(inclusion ? "/api/v1/proofs/inclusion?" : "/api/v1/proofs/consistency?") +
                 in.ConsumeRemainingBytesAsString();
      auto resp = w.service->handle(r);
      fuzz::expect_no_internal_error(resp);
      if (resp.status == 200 && inclusion) {
        auto j = nlohmann::json::parse(resp.body);
        std::vector<Hash256> proof;
        for (const auto& h : j["proof"]) proof.push_back(hash_from(base64_decode(h.get<std::string>())).value());
        const auto leaf = hash_from(base64_decode(j["leaf_hash"].get<std::string>()));
        const auto root = hash_from(base64_decode(j["root_hash"].get<std::string>()));
        // What the server proves, a client accepts.
        if (!leaf || !root || !merkle::verify_inclusion(j["leaf_index"], j["tree_size"], *leaf, proof, *root).ok())
          std::abort();
      }
      break;
    }
    case 1: {
      const uint64_t index = in.ConsumeIntegral<uint64_t>(), tree = in.ConsumeIntegral<uint64_t>();
      const Hash256 leaf = hash_of(in), root = hash_of(in);
      std::vector<Hash256> proof;
      while (in.remaining_bytes() >= 32 && proof.size() < 70) proof.push_back(hash_of(in));
      (void)merkle::verify_inclusion(index, tree, leaf, proof, root);
      (void)merkle::root_from_inclusion(index, tree, leaf, proof);
      break;
    }
    default: {
      const uint64_t first = in.ConsumeIntegral<uint64_t>(), second = in.ConsumeIntegral<uint64_t>();
      const Hash256 a = hash_of(in), b = hash_of(in);
      std::vector<Hash256> proof;
      while (in.remaining_bytes() >= 32 && proof.size() < 140) proof.push_back(hash_of(in));
      (void)merkle::verify_consistency(first, second, proof, a, b);
    }
  }
  return 0;
}
