#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "ledger/util/encoding.h"
#include "ledger/util/hash.h"
#include "ledger/util/json.h"
#include "ledger/util/json_scan.h"
#include "ledger/util/random.h"
#include "ledger/util/time.h"
#include "ledger/util/utf8.h"

namespace certledger {
namespace {

TEST(Encoding, Base64UrlRoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("Zm8=").has_value());  // no padding in base64url
  EXPECT_EQ(base64url_decode("Zm8"), std::string("fo"));
  EXPECT_FALSE(base64url_decode("Zm9").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(base64url_decode("Zm9=").has_value());
  EXPECT_FALSE(base64url_decode("Zh").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(base64url_decode("a").has_value());
  EXPECT_FALSE(base64url_decode("a+b/").has_value());
  EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
  EXPECT_EQ(hex_decode("01AB"), std::string("\x01\xab"));
  EXPECT_FALSE(hex_decode("0g").has_value());
  EXPECT_EQ(get_be64(be64(0x0102030405060708ull)), 0x0102030405060708ull);
  EXPECT_LT(be64(255), be64(256));  // big-endian keys sort numerically
}

TEST(Json, WrittenStringsMatchNlohmannAndScanBack) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
  for (std::string s : {std::string(), std::string("plain"), std::string("粤建安C(2026)0001234"),
                        std::string("quote \" backslash \\ slash / tab \t"), all_controls,
                        std::string("\x7f del and é"), std::string(1, '\0')}) {
    std::string out;
    json_append_string(out, s);
    EXPECT_EQ(out, nlohmann::json(s).dump()) << s;
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), s);
    // The scanner finds it again, flagged when it holds an escape.
    auto obj = "{\"k\":" + out + ",\"n\":[{\"x\":\"]\"}],\"z\":-1.5e3}";
    std::string_view raw;
    bool escaped = true;
    std::vector<std::string> keys;
    EXPECT_TRUE(scan_json_object(obj, [&](const JsonMember& m) {
      keys.emplace_back(m.key);
      if (m.key == "k") raw = m.raw, escaped = m.escaped;
    }));
    EXPECT_EQ(keys, (std::vector<std::string>{"k", "n", "z"}));
    EXPECT_EQ(escaped, out.find('\\') != std::string::npos);
    if (!escaped) {
      EXPECT_EQ(raw, s);
    }
  }
  // Escapes at every offset of longer strings (they are scanned 8 bytes at
  // a time), beside multi-byte UTF-8.
  for (size_t len : {7, 8, 9, 16, 23, 40})
    for (size_t pos = 0; pos < len; ++pos)
      for (std::string esc : {std::string("\""), std::string("\\"), std::string("\n"), std::string(1, '\x1f'),
                              std::string("\x7f"), std::string("中")}) {
        std::string s(len, 'a');
        s.replace(pos, 1, esc);
        std::string out;
        json_append_string(out, s);
        ASSERT_EQ(out, nlohmann::json(s).dump()) << len << "/" << pos;
      }
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":[}", "{\"a\":\"x}", "{} x", "[]"})
    EXPECT_FALSE(scan_json_object(bad, [](const JsonMember&) {})) << bad;
  EXPECT_TRUE(scan_json_object(" { } ", [](const JsonMember&) {}));
  EXPECT_EQ(json_uint("0"), 0u);
  EXPECT_EQ(json_uint("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(json_uint("18446744073709551616"));
  EXPECT_FALSE(json_uint("01"));
  EXPECT_FALSE(json_uint("-1"));
  EXPECT_FALSE(json_uint("1.0"));
  EXPECT_FALSE(json_uint(""));
}

// json_dump writes what nlohmann's strict compact dump writes, byte for
// byte (signed records are written with it), and fails where it fails.
TEST(Json, DumpIsNlohmannsStrictDump) {
  using nlohmann::json;
  auto strict = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::strict); };
  std::vector<json> docs = {
      json(nullptr),
      json(true),
      json(false),
      json(0),
      json(-1),
      json(INT64_MIN),
      json(UINT64_MAX),
      json(1.5),
      json(-2.5e-7),
      json(""),
      json("粤建安C(2026)0001234 \"\\\n\x01\x7f"),
      json::array(),
      json::object(),
      json::parse(R"({"z":[1,{"b":null,"a":[true,"x",{}]}],"a":{"y":2,"x":"\u00e9\ud83d\ude00"},"":0,"m":-0.0})"),
      json::parse(R"([[[[["deep"]]]],{"k":[]}])")};
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  docs.push_back({{all, all}, {"n", {1, 2, 3}}});
  for (const auto& d : docs) EXPECT_EQ(json_dump(d), strict(d)) << strict(d);
  // Random trees.
  std::mt19937 rng(7);
  std::function<json(int)> tree = [&](int depth) -> json {
    switch (depth > 3 ? rng() % 4 : rng() % 6) {
      case 0: return json(static_cast<int64_t>(rng()) - (1 << 30));
      case 1: return json(std::string(rng() % 5, static_cast<char>('a' + rng() % 26)) + "中\"");
      case 2: return json(rng() % 2 == 0);
      case 3: return json(nullptr);
      case 4: {
        json o = json::object();
        for (unsigned i = rng() % 4; i > 0; --i)
          o[std::string(1, static_cast<char>('a' + rng() % 26))] = tree(depth + 1);
        return o;
      }
      default: {
        json a = json::array();
        for (unsigned i = rng() % 4; i > 0; --i) a.push_back(tree(depth + 1));
        return a;
      }
    }
  };
  for (int i = 0; i < 300; ++i) {
    const json d = tree(0);
    ASSERT_EQ(json_dump(d), strict(d));
  }
  // Invalid UTF-8: both throw.
  const json bad = {{"k", std::string("\xff\xfe")}};
  EXPECT_THROW((void)strict(bad), json::type_error);
  EXPECT_THROW((void)json_dump(bad), json::type_error);
  const json bad_key = {{std::string("\xc3"), 1}};
  EXPECT_THROW((void)json_dump(bad_key), json::type_error);
}

TEST(Hash, Sha256KnownAnswers) {
  EXPECT_EQ(hash_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_hex(sha256_parts({"a", "bc"})), hash_hex(sha256("abc")));
}

TEST(Random, IdentifiersHaveTheirShape) {
  std::string u = uuid_v7(1732350000123);
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '7');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_EQ(u.substr(0, 13), "0193581b-3bfb");  // 48-bit ms timestamp 0x0193581b3bfb
  std::string t = new_public_token();
  EXPECT_EQ(t.size(), 22u);
  EXPECT_EQ(base64url_decode(t)->size(), 16u);
  EXPECT_NE(new_public_token(), new_public_token());
  EXPECT_LT(new_certificate_id(1000), new_certificate_id(2000));
}

// random_bytes hands out a thread's pool of DRBG output: never the same
// bytes twice, in one thread, across threads, or in a forked child (which
// would otherwise repeat what its parent hands out next: GCM IVs alike).
TEST(Random, PooledBytesAreNeverHandedOutTwice) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) EXPECT_TRUE(seen.insert(random_bytes(12)).second);
  std::vector<std::string> other(200);
  std::thread t([&] {
    for (auto& o : other) o = random_bytes(16);
  });
  t.join();
  for (const auto& o : other) EXPECT_TRUE(seen.insert(o).second);
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(1000).size(), 1000u);  // larger than the pool: drawn directly

  (void)random_bytes(16);  // the pool is full and used from here
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string mine = random_bytes(16);
    (void)!::write(fds[1], mine.data(), mine.size());
    _exit(0);
  }
  const std::string parents = random_bytes(16);
  std::string childs(16, '\0');
  ASSERT_EQ(::read(fds[0], childs.data(), 16), 16);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_NE(childs, parents);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Time, DatesAndInstants) {
  EXPECT_TRUE(parse_date("2024-02-29").has_value());
  EXPECT_FALSE(parse_date("2023-02-29").has_value());
  EXPECT_FALSE(parse_date("2024-13-01").has_value());
  EXPECT_FALSE(parse_date("2024-1-01").has_value());
  EXPECT_EQ((Date{2024, 2, 29}.plus_years(1)), (Date{2025, 2, 28}));
  EXPECT_EQ(Date::from_days(Date{2000, 3, 1}.days_since_epoch()), (Date{2000, 3, 1}));
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parse_rfc3339("2024-11-23T08:20:00.123Z"), 1732350000123);
  EXPECT_EQ(parse_rfc3339("2024-11-23T16:20:00.123+08:00"), 1732350000123);
  EXPECT_FALSE(parse_rfc3339("2024-11-23 08:20:00Z").has_value());
  EXPECT_EQ(china_date(*parse_rfc3339("2024-11-23T16:30:00Z")), (Date{2024, 11, 24}));
}

TEST(Utf8, ValidationAndLength) {
  EXPECT_EQ(utf8_length("广东省"), 3u);
  EXPECT_FALSE(utf8_length("\xc0\xaf").has_value());      // overlong
  EXPECT_FALSE(utf8_length("\xed\xa0\x80").has_value());  // surrogate
  EXPECT_FALSE(utf8_length("\xe5\xb9").has_value());      // truncated
  EXPECT_TRUE(has_control_chars("a\tb"));
  EXPECT_FALSE(has_control_chars("广州 天河"));
  EXPECT_EQ(utf8_encode(U'粤'), "粤");
  EXPECT_EQ(utf8_decode("粤A"), std::u32string(U"粤A"));
}

}  // namespace
}  // namespace certledger
