// api::serialize: the bytes the server sends for a Response.
#include <gtest/gtest.h>

#include "api/federation.h"
#include "api/http.h"

using namespace certledger::api;

TEST(Serialize, StatusLineHeadersLengthAndBody) {
  Response r = Response::text(201, "{\"a\":1}", "application/json");
  r.set("Location", "/api/v1/certificates/x");
  EXPECT_EQ(serialize(r, true, false),
            "HTTP/1.1 201 Created\r\nServer: certledger\r\nX-Content-Type-Options: nosniff\r\nContent-Type: "
            "application/json\r\n"
            "Location: /api/v1/certificates/x\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(Serialize, CloseAndHead) {
  Response r = Response::text(404, "missing");
  EXPECT_EQ(serialize(r, false, false),
            "HTTP/1.1 404 Not Found\r\nServer: certledger\r\nX-Content-Type-Options: nosniff\r\nContent-Type: "
            "text/plain; charset=utf-8\r\n"
            "Content-Length: 7\r\nConnection: close\r\n\r\nmissing");
  // HEAD: the GET answer's length, no body.
  EXPECT_EQ(serialize(r, true, true),
            "HTTP/1.1 404 Not Found\r\nServer: certledger\r\nX-Content-Type-Options: nosniff\r\nContent-Type: "
            "text/plain; charset=utf-8\r\n"
            "Content-Length: 7\r\n\r\n");
}

TEST(Serialize, DropsHeadersThatCouldSplitTheResponseAndOnesItOwns) {
  Response r = Response::text(200, "x");
  r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: s=1");
  r.headers.emplace_back(std::string("X-Nul\0", 6), "v");
  r.headers.emplace_back("content-length", "999");
  r.headers.emplace_back("Connection", "keep-alive");
  r.headers.emplace_back("Retry-After", "3");
  const std::string out = serialize(r, true, false);
  EXPECT_EQ(out.find("Set-Cookie"), std::string::npos);
  EXPECT_EQ(out.find("X-Nul"), std::string::npos);
  EXPECT_EQ(out.find("999"), std::string::npos);
  EXPECT_EQ(out.find("Connection"), std::string::npos);
  EXPECT_NE(out.find("Retry-After: 3\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 1\r\n\r\nx"), std::string::npos);
}

TEST(Serialize, UnknownAndInvalidStatus) {
  Response r = Response::text(299, "");
  EXPECT_EQ(serialize(r, true, false).substr(0, 17), "HTTP/1.1 299 \r\nSe");
  r.status = 42;
  EXPECT_EQ(serialize(r, true, false).substr(0, 25), "HTTP/1.1 500 Internal Ser");
}

// ---- VerifyCache and BodyTemplate ----
#include "api/verify_cache.h"

namespace {
std::shared_ptr<VerifyCache::Entry> entry(std::string token, uint64_t epoch = 1) {
  auto e = std::make_shared<VerifyCache::Entry>();
  EXPECT_TRUE(e->set_token(token));
  e->certificate_epoch = epoch;
  return e;
}
}  // namespace

TEST(VerifyCache, FindsWhatWasPutAndNothingElse) {
  VerifyCache c(1000);
  c.put(entry("tokA"));
  c.put(entry("tokB", 7));
  ASSERT_TRUE(c.find("tokB"));
  EXPECT_EQ(c.find("tokB")->certificate_epoch, 7u);
  EXPECT_EQ(c.find("tokA")->token(), "tokA");
  EXPECT_FALSE(c.find("tokC"));
  EXPECT_FALSE(c.find("tokA "));
  c.put(entry("tokB", 8));  // a refill replaces
  EXPECT_EQ(c.find("tokB")->certificate_epoch, 8u);
  EXPECT_EQ(c.size(), 2u);
}

TEST(VerifyCache, RefillsAndEvictionsKeepEveryLiveEntryReachable) {
  // Many refills of a few tokens (stale order records) mixed with new ones,
  // checked against a model of what must still be there.
  VerifyCache c(16 * 8);
  std::vector<std::string> recent;
  for (int i = 0; i < 20000; ++i) {
    std::string t = std::string("k").append(std::to_string(i % 3 == 0 ? i % 7 : i));
    c.put(entry(t, static_cast<uint64_t>(i)));
    ASSERT_TRUE(c.find(t)) << t;
    EXPECT_EQ(c.find(t)->certificate_epoch, static_cast<uint64_t>(i));
    ASSERT_LE(c.size(), 128u);
  }
  // The seven hot tokens were refilled within the last few puts of their
  // shard, so none was evicted.
  for (int k = 0; k < 7; ++k) EXPECT_TRUE(c.find(std::string("k").append(std::to_string(k)))) << k;
  auto too_long = std::make_shared<VerifyCache::Entry>();
  EXPECT_FALSE(too_long->set_token(std::string(VerifyCache::kMaxToken + 1, 'x')));
}

TEST(VerifyCache, StaysWithinCapacityEvictingTheOldest) {
  VerifyCache c(16 * 4);  // 4 per shard
  for (int i = 0; i < 5000; ++i) c.put(entry(std::string("t").append(std::to_string(i))));
  EXPECT_LE(c.size(), 64u);
  EXPECT_GE(c.size(), 60u);
  EXPECT_TRUE(c.find("t4999"));
  EXPECT_FALSE(c.find("t0"));
  VerifyCache off(0);
  off.put(entry("x"));
  EXPECT_FALSE(off.find("x"));
  EXPECT_EQ(off.size(), 0u);
}

TEST(BodyTemplate, FillsBothHolesInEitherOrder) {
  auto b = BodyTemplate::make("{\"as_of\":\"@T@\",\"position\":99}", "@T@", "99");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->fill("2026-12-02T00:00:00Z", 123456), "{\"as_of\":\"2026-12-02T00:00:00Z\",\"position\":123456}");
  auto r = BodyTemplate::make("p=99;t=@T@.", "@T@", "99");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->fill("now", 5), "p=5;t=now.");
  EXPECT_FALSE(BodyTemplate::make("@T@ @T@ 99", "@T@", "99"));  // a mark twice: not cacheable
  EXPECT_FALSE(BodyTemplate::make("no marks", "@T@", "99"));
}

// A national replica's /metrics: each log's families once, every sample
// labelled with its log, histograms kept together; what promtool accepts.
TEST(Federation, MergesEachLogsMetricsUnderOneFamilyWithALogLabel) {
  Metrics a, b;
  a.observe("/v/{token}", "GET", 200, 0.001);
  b.observe("/v/{token}", "GET", 404, 0.002);
  for (Metrics* m : {&a, &b})
    m->add_writer([](std::string& out) { Metrics::gauge(out, "certledger_replica_applied_position", "Applied.", 7); });
  const std::string out = merge_expositions({{"gd", a.render()}, {"ln", b.render()}});
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("# TYPE certledger_http_requests_total counter\n"), 1u);
  EXPECT_EQ(count("# TYPE certledger_replica_applied_position gauge\n"), 1u);
  EXPECT_NE(out.find("certledger_replica_applied_position{log=\"gd\"} 7\n"), std::string::npos) << out;
  EXPECT_NE(out.find("certledger_replica_applied_position{log=\"ln\"} 7\n"), std::string::npos) << out;
  EXPECT_NE(out.find("certledger_http_requests_total{log=\"ln\",route=\"/v/{token}\",method=\"GET\",code=\"404\"} 1\n"),
            std::string::npos)
      << out;
  // Both logs' buckets of the histogram follow its one TYPE line.
  const size_t type = out.find("# TYPE certledger_http_request_duration_seconds histogram\n");
  const size_t gd = out.find("certledger_http_request_duration_seconds_count{log=\"gd\"");
  const size_t ln = out.find("certledger_http_request_duration_seconds_count{log=\"ln\"");
  const size_t next = out.find("# HELP certledger_replica_applied_position");
  EXPECT_TRUE(type < gd && gd < ln && ln < next) << out;
}
