// Tests of the PutRecords CBOR fast path's parser: the Java SDK's shape (indefinite maps and
// arrays) and definite lengths, and the bodies it declines so the generic path answers them
// (fuzz/cbor_fast_path.cc checks the two paths agree on everything it accepts).
#include "api/cbor_fast_path.h"

#include "api/cbor_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::api {
namespace {

using namespace std::string_literals;

// CBOR pieces: a definite text or byte string head and body (lengths under 24 or one byte).
std::string head(std::uint8_t major, std::size_t n) {
  if (n < 24) return std::string(1, static_cast<char>(major << 5 | n));
  return std::string{static_cast<char>(major << 5 | 24), static_cast<char>(n)};
}
std::string text(std::string_view s) {
  return head(3, s.size()) + std::string(s);
}
std::string bytes(std::string_view s) {
  return head(2, s.size()) + std::string(s);
}
const std::string open_map = "\xbf", open_array = "\x9f", close = "\xff";

// {"Records": [...entries], "StreamName": "s"} with indefinite containers, as the Java SDK
// writes it.
std::string java_body(const std::string& entries) {
  return open_map + text("Records") + open_array + entries + close + text("StreamName") +
         text("s") + close;
}
std::string cbor_entry(std::string_view data, std::string_view key) {
  return open_map + text("Data") + bytes(data) + text("PartitionKey") + text(key) + close;
}

TEST(CborFastPath, ReadsTheJavaSdkShape) {
  parsed_put_records p;
  ASSERT_TRUE(parse_put_records_cbor(
      java_body(cbor_entry("\x00\x01\xff"s, "user-1") + cbor_entry("", "user-2")), p));
  EXPECT_EQ(p.stream_name, "s");
  EXPECT_FALSE(p.stream_arn);
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].data, "\x00\x01\xff"s) << "bytes kept as they are, none decoded";
  EXPECT_EQ(p.records[0].partition_key, "user-1");
  EXPECT_EQ(p.records[1].data, "");
  EXPECT_EQ(p.records[1].partition_key, "user-2");
}

TEST(CborFastPath, ReadsDefiniteLengthsAsTheCodecWritesThem) {
  std::vector<value> records;
  records.push_back(value::object({{"PartitionKey", value::string("k")},
                                   {"ExplicitHashKey", value::string("12")},
                                   {"Data", value::blob(std::string(300, 'x'))}}));
  const std::string body = encode_cbor(value::object(
      {{"StreamARN", value::string("arn:aws:kinesis:us-east-1:000000000000:stream/s")},
       {"Records", value::array(std::move(records))}}));
  parsed_put_records p;
  ASSERT_TRUE(parse_put_records_cbor(body, p));
  EXPECT_EQ(p.stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].data, std::string(300, 'x'));
  EXPECT_EQ(p.records[0].explicit_hash_key, "12");
}

TEST(CborFastPath, DeclinesWhatTheGenericPathShouldAnswer) {
  const std::string good = cbor_entry("d", "k");
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"Data as text", java_body(open_map + text("Data") + text("ZA==") + text("PartitionKey") +
                                 text("k") + close)},
      {"an unknown member", java_body(open_map + text("Data") + bytes("d") + text("PartitionKey") +
                                      text("k") + text("Extra") + text("x") + close)},
      {"a repeated member", java_body(open_map + text("Data") + bytes("d") + text("Data") +
                                      bytes("e") + text("PartitionKey") + text("k") + close)},
      {"no PartitionKey", java_body(open_map + text("Data") + bytes("d") + close)},
      {"an empty PartitionKey", java_body(cbor_entry("d", ""))},
      {"a PartitionKey of 257 characters", java_body(cbor_entry("d", std::string(257, 'k')))},
      {"a PartitionKey that is not UTF-8", java_body(cbor_entry("d", "\xff\xfe"s))},
      {"a PartitionKey that is not UTF-8 after 8 ASCII bytes",
       java_body(cbor_entry("d", "abcdefgh\xc3"s))},
      {"a PartitionKey that is not UTF-8 within its first 8 bytes",
       java_body(cbor_entry("d",
                            "abc\x80"
                            "defghijk"s))},
      {"a hash key that is not a number",
       java_body(open_map + text("Data") + bytes("d") + text("PartitionKey") + text("k") +
                 text("ExplicitHashKey") + text("x") + close)},
      {"no records", java_body("")},
      {"bytes after the map", java_body(good) + "\x00"s},
      {"a missing break", java_body(good).substr(0, java_body(good).size() - 1)},
      {"an indefinite string", open_map + text("Records") + open_array + open_map + text("Data") +
                                   "\x5f"s + bytes("d") + close + text("PartitionKey") + text("k") +
                                   close + close + close},
      {"a stream name with a space", open_map + text("Records") + open_array + good + close +
                                         text("StreamName") + text("a b") + close},
      {"a null stream name", open_map + text("Records") + open_array + good + close +
                                 text("StreamName") + "\xf6" + close},
      {"not a map", "\x80"s},
      {"nothing", ""},
  };
  for (const auto& [why, body] : bodies) {
    parsed_put_records p;
    EXPECT_FALSE(parse_put_records_cbor(body, p)) << why;
  }
}

TEST(CborFastPath, TakesAPartitionKeyOfValidUtf8BeyondAscii) {
  const std::string key = "cl\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80-long-enough";  // é € 😀
  parsed_put_records p;
  ASSERT_TRUE(parse_put_records_cbor(java_body(cbor_entry("d", key)), p));
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].partition_key, key);
}

TEST(CborFastPath, TakesFiveHundredRecordsAndDeclinesMore) {
  std::string five_hundred;
  for (int i = 0; i < 500; ++i) five_hundred += cbor_entry("d", "k");
  parsed_put_records p;
  ASSERT_TRUE(parse_put_records_cbor(java_body(five_hundred), p));
  EXPECT_EQ(p.records.size(), 500u);
  EXPECT_FALSE(parse_put_records_cbor(java_body(five_hundred + cbor_entry("d", "k")), p));
}

}  // namespace
}  // namespace spate::api
