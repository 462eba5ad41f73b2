// cbor_codec: RFC 8949 Appendix A decodes as the RFC says (tag 1 read as AWS's milliseconds),
// the encoder writes shortest heads, definite lengths, byte strings and tag-1 milliseconds,
// values round-trip, and every malformed input is refused with its named error.
#include "api/cbor_codec.h"

#include "api/errors.h"
#include "api/json_codec.h"
#include "api/schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace spate::api {
namespace {

std::string hex(std::string_view h) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(nibble(h[i]) << 4 | nibble(h[i + 1])));
    i += 2;
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(digits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

value decoded(std::string_view h) {
  cbor_error e;
  auto v = decode_cbor(hex(h), &e);
  EXPECT_TRUE(v) << h << ": " << e.message();
  return v ? *v : value();
}

// A decoded item shown as JSON text (blobs in base64, timestamps as JSON's epoch seconds).
std::string as_json(std::string_view h) {
  return encode_json(decoded(h));
}

cbor_errc refused(std::string_view bytes) {
  cbor_error e;
  auto v = decode_cbor(bytes, &e);
  EXPECT_FALSE(v) << to_hex(bytes) << " decoded";
  return e.code;
}
cbor_errc refused_hex(std::string_view h) {
  return refused(hex(h));
}

// --- RFC 8949 Appendix A ---------------------------------------------------------------------

TEST(CborDecodeTest, AppendixAIntegers) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"00", 0},
      {"01", 1},
      {"0a", 10},
      {"17", 23},
      {"1818", 24},
      {"1819", 25},
      {"1864", 100},
      {"1903e8", 1000},
      {"1a000f4240", 1000000},
      {"1b000000e8d4a51000", 1000000000000},
      {"20", -1},
      {"29", -10},
      {"3863", -100},
      {"3903e7", -1000},
      {"1b7fffffffffffffff", std::numeric_limits<std::int64_t>::max()},
      {"3b7fffffffffffffff", std::numeric_limits<std::int64_t>::min()},
  };
  for (const auto& [h, expected] : cases) {
    const value v = decoded(h);
    EXPECT_EQ(v.type(), value::kind::integer) << h;
    EXPECT_EQ(v.as_integer(), expected) << h;
  }
}

TEST(CborDecodeTest, AppendixAIntegersBeyondInt64BecomeNumbers) {
  EXPECT_EQ(decoded("1bffffffffffffffff").type(), value::kind::number);
  EXPECT_DOUBLE_EQ(decoded("1bffffffffffffffff").as_number(), 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(decoded("3bffffffffffffffff").as_number(), -18446744073709551616.0);
  // Bignums (tags 2 and 3).
  EXPECT_DOUBLE_EQ(decoded("c249010000000000000000").as_number(), 18446744073709551616.0);
  EXPECT_DOUBLE_EQ(decoded("c349010000000000000000").as_number(), -18446744073709551617.0);
  // A bignum that fits is an integer.
  EXPECT_EQ(decoded("c24101").type(), value::kind::integer);
  EXPECT_EQ(decoded("c24101").as_integer(), 1);
  EXPECT_EQ(decoded("c3420100").as_integer(), -257);
  EXPECT_EQ(decoded("c240").as_integer(), 0);
}

TEST(CborDecodeTest, AppendixAFloats) {
  const std::pair<const char*, double> cases[] = {
      {"f90000", 0.0},
      {"f93c00", 1.0},
      {"fb3ff199999999999a", 1.1},
      {"f93e00", 1.5},
      {"f97bff", 65504.0},
      {"fa47c35000", 100000.0},
      {"fa7f7fffff", 3.4028234663852886e+38},
      {"fb7e37e43c8800759c", 1.0e+300},
      {"f90001", 5.960464477539063e-8},
      {"f90400", 0.00006103515625},
      {"f9c400", -4.0},
      {"fbc010666666666666", -4.1},
  };
  for (const auto& [h, expected] : cases) {
    const value v = decoded(h);
    EXPECT_EQ(v.type(), value::kind::number) << h;
    EXPECT_DOUBLE_EQ(v.as_number(), expected) << h;
  }
  EXPECT_TRUE(std::signbit(decoded("f98000").as_number()));
  for (const char* h : {"f97c00", "fa7f800000", "fb7ff0000000000000"}) {
    EXPECT_EQ(decoded(h).as_number(), std::numeric_limits<double>::infinity()) << h;
  }
  for (const char* h : {"f9fc00", "faff800000", "fbfff0000000000000"}) {
    EXPECT_EQ(decoded(h).as_number(), -std::numeric_limits<double>::infinity()) << h;
  }
  for (const char* h : {"f97e00", "fa7fc00000", "fb7ff8000000000000"}) {
    EXPECT_TRUE(std::isnan(decoded(h).as_number())) << h;
  }
}

TEST(CborDecodeTest, AppendixASimpleValues) {
  EXPECT_EQ(as_json("f4"), "false");
  EXPECT_EQ(as_json("f5"), "true");
  EXPECT_EQ(as_json("f6"), "null");
  EXPECT_EQ(as_json("f7"), "null");  // undefined
  // simple(16), simple(255): unassigned, refused rather than guessed at.
  EXPECT_EQ(refused_hex("f0"), cbor_errc::bad_simple_value);
  EXPECT_EQ(refused_hex("f8ff"), cbor_errc::bad_simple_value);
}

TEST(CborDecodeTest, AppendixATags) {
  // 0("2013-03-21T20:04:00Z"): the tag is ignored, the string stays.
  EXPECT_EQ(as_json("c074323031332d30332d32315432303a30343a30305a"), R"("2013-03-21T20:04:00Z")");
  // 1(1363896240) and 1(1363896240.5): AWS reads tag 1 as milliseconds.
  const value t = decoded("c11a514b67b0");
  EXPECT_EQ(t.type(), value::kind::timestamp);
  EXPECT_EQ(t.as_integer(), 1363896240);
  EXPECT_EQ(decoded("c1fb41d452d9ec200000").as_integer(), 1363896241);  // rounded
  // 23(h'01020304'), 24(h'6449455446'), 32("http://www.example.com").
  EXPECT_EQ(decoded("d74401020304").type(), value::kind::blob);
  EXPECT_EQ(decoded("d74401020304").as_string(), hex("01020304"));
  EXPECT_EQ(decoded("d818456449455446").as_string(), "dIETF");
  EXPECT_EQ(as_json("d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
            R"("http://www.example.com")");
}

TEST(CborDecodeTest, AppendixAStrings) {
  EXPECT_EQ(decoded("40").type(), value::kind::blob);
  EXPECT_EQ(decoded("40").as_string(), "");
  EXPECT_EQ(decoded("4401020304").as_string(), hex("01020304"));
  EXPECT_EQ(decoded("60").type(), value::kind::string);
  EXPECT_EQ(decoded("60").as_string(), "");
  EXPECT_EQ(decoded("6161").as_string(), "a");
  EXPECT_EQ(decoded("6449455446").as_string(), "IETF");
  EXPECT_EQ(decoded("62225c").as_string(), "\"\\");
  EXPECT_EQ(decoded("62c3bc").as_string(), "\xc3\xbc");
  EXPECT_EQ(decoded("63e6b0b4").as_string(), "\xe6\xb0\xb4");
  EXPECT_EQ(decoded("64f0908591").as_string(), "\xf0\x90\x85\x91");
}

TEST(CborDecodeTest, AppendixAArraysAndMaps) {
  EXPECT_EQ(as_json("80"), "[]");
  EXPECT_EQ(as_json("83010203"), "[1,2,3]");
  EXPECT_EQ(as_json("8301820203820405"), "[1,[2,3],[4,5]]");
  std::string one_to_25 = "[1";
  for (int i = 2; i <= 25; ++i) one_to_25.append(",").append(std::to_string(i));
  one_to_25 += "]";
  EXPECT_EQ(as_json("98190102030405060708090a0b0c0d0e0f101112131415161718181819"), one_to_25);
  EXPECT_EQ(as_json("a0"), "{}");
  EXPECT_EQ(as_json("a26161016162820203"), R"({"a":1,"b":[2,3]})");
  EXPECT_EQ(as_json("826161a161626163"), R"(["a",{"b":"c"}])");
  EXPECT_EQ(as_json("a56161614161626142616361436164614461656145"),
            R"({"a":"A","b":"B","c":"C","d":"D","e":"E"})");
  // {1: 2, 3: 4}: well-formed CBOR, but Kinesis documents have text keys only.
  EXPECT_EQ(refused_hex("a201020304"), cbor_errc::non_string_map_key);
}

TEST(CborDecodeTest, AppendixAIndefiniteLengths) {
  EXPECT_EQ(decoded("5f42010243030405ff").as_string(), hex("0102030405"));
  EXPECT_EQ(decoded("5f42010243030405ff").type(), value::kind::blob);
  EXPECT_EQ(decoded("7f657374726561646d696e67ff").as_string(), "streaming");
  EXPECT_EQ(decoded("5fff").as_string(), "");
  EXPECT_EQ(as_json("9fff"), "[]");
  EXPECT_EQ(as_json("9f018202039f0405ffff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(as_json("9f01820203820405ff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(as_json("83018202039f0405ff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(as_json("83019f0203ff820405"), "[1,[2,3],[4,5]]");
  std::string one_to_25 = "[1";
  for (int i = 2; i <= 25; ++i) one_to_25.append(",").append(std::to_string(i));
  one_to_25 += "]";
  EXPECT_EQ(as_json("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff"), one_to_25);
  EXPECT_EQ(as_json("bf61610161629f0203ffff"), R"({"a":1,"b":[2,3]})");
  EXPECT_EQ(as_json("826161bf61626163ff"), R"(["a",{"b":"c"}])");
  EXPECT_EQ(as_json("bf6346756ef563416d7421ff"), R"({"Fun":true,"Amt":-2})");
}

// --- Malformed input: each refused with its named error ----------------------------------------

TEST(CborDecodeTest, TruncatedItemsAreRefused) {
  for (const char* h : {"",      "18",       "19 01",   "1a 0000",  "1b 00000000000000",
                        "38",    "62 61",    "44 0102", "83 01 02", "a1 61 61",
                        "a1",    "5f 41 00", "7f",      "9f 01",    "bf 61 61 01",
                        "f9 00", "fa 0000",  "fb 00",   "c1",       "d8"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::truncated) << h;
  }
}

TEST(CborDecodeTest, HugeDeclaredLengthsFailWithoutAllocating) {
  // Lengths and counts of 2^64-1 and 4 GiB against a few bytes: refused by the bounds check.
  for (const char* h : {"9b ffffffffffffffff", "bb ffffffffffffffff 6161 01", "5b 0000000100000000",
                        "7b ffffffffffffffff 61", "9a ffffffff 00"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::truncated) << h;
  }
}

TEST(CborDecodeTest, NestedHugeCountsDoNotReserveMemory) {
  // 64 nested arrays each declaring as many elements as there are bytes left (about 1 MiB),
  // then nothing: refused as truncated without reserving 64 MiB of values each.
  std::string doc;
  for (int i = 0; i < 64; ++i) doc += hex("9a 00100000");
  doc.resize(doc.size() + (1u << 20), '\x00');
  doc.back() = static_cast<char>(0xff);  // a break where an element should be
  EXPECT_EQ(refused(doc), cbor_errc::unexpected_break);
}

TEST(CborDecodeTest, ReservedAdditionalInformationIsRefused) {
  for (const char* h : {"1c", "1d", "1e", "3c", "5d", "7e", "9c", "bd", "de", "fc", "fd", "fe",
                        // indefinite length where none exists: integers and tags
                        "1f", "3f", "df 00"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::bad_additional_info) << h;
  }
}

TEST(CborDecodeTest, TrailingBytesAreRefused) {
  EXPECT_EQ(refused_hex("a0 00"), cbor_errc::trailing_bytes);
  EXPECT_EQ(refused_hex("00 00"), cbor_errc::trailing_bytes);
  EXPECT_EQ(refused_hex("a0 ff"), cbor_errc::trailing_bytes);
  cbor_error e;
  EXPECT_FALSE(decode_cbor(hex("a0 a0"), &e));
  EXPECT_EQ(e.offset, 1u);
  EXPECT_EQ(e.message(), "CBOR trailing_bytes at byte 1: bytes follow the top-level item");
}

TEST(CborDecodeTest, NonTextMapKeysAreRefused) {
  for (const char* h : {"a1 01 02", "a1 40 01", "a1 80 01", "a1 f6 01", "a1 c1 01 02",
                        "bf 01 02 ff", "a2 6161 01 02 03"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::non_string_map_key) << h;
  }
}

TEST(CborDecodeTest, BreaksOutsideIndefiniteItemsAreRefused) {
  for (const char* h : {"ff", "81 ff", "a1 6161 ff", "82 9f ff ff"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::unexpected_break) << h;
  }
}

TEST(CborDecodeTest, BadIndefiniteChunksAreRefused) {
  for (const char* h : {"5f 6161 ff", "5f 5f ff ff", "7f 4100 ff", "7f 7f ff ff", "5f 00 ff"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::bad_chunk) << h;
  }
}

TEST(CborDecodeTest, InvalidUtf8IsRefused) {
  for (const char* h :
       {"61 ff", "62 c328", "63 eda080", "62 c0af", "64 f4908080", "7f 61ff ff", "a1 61ff 00"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::invalid_utf8) << h;
  }
  // The bytes of a byte string are not text: anything goes.
  EXPECT_EQ(decoded("41ff").as_string(), "\xff");
}

TEST(CborDecodeTest, UnusableSimpleValuesAreRefused) {
  for (const char* h : {"e0", "f3", "f8 00", "f8 18", "f8 1f", "f8 20", "f8 ff"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::bad_simple_value) << h;
  }
}

TEST(CborDecodeTest, BadTimestampsAndBignumsAreRefused) {
  for (const char* h : {"c1 6161", "c1 40", "c1 f6", "c1 80", "c1 f97c00", "c1 f97e00",
                        "c1 1bffffffffffffffff", "c1 c1 00"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::bad_timestamp) << h;
  }
  for (const char* h : {"c2 01", "c3 6161", "c2 80"}) {
    EXPECT_EQ(refused_hex(h), cbor_errc::bad_bignum) << h;
  }
}

TEST(CborDecodeTest, NestingIsLimited) {
  auto nested = [](const char* open, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += hex(open);
    return out + hex("00");
  };
  EXPECT_TRUE(decode_cbor(nested("81", max_cbor_depth)));
  EXPECT_EQ(refused(nested("81", max_cbor_depth + 1)), cbor_errc::too_deep);
  EXPECT_EQ(refused(nested("9f", max_cbor_depth + 1)), cbor_errc::too_deep);
  EXPECT_EQ(refused(nested("a1 6161", max_cbor_depth + 1)), cbor_errc::too_deep);
  EXPECT_EQ(refused(nested("c6", max_cbor_depth + 1)), cbor_errc::too_deep);
  // A million-deep document fails fast instead of exhausting the stack.
  EXPECT_EQ(refused(nested("81", 1'000'000)), cbor_errc::too_deep);
}

TEST(CborDecodeTest, EveryErrorHasAName) {
  for (int c = 1; c <= static_cast<int>(cbor_errc::bad_bignum); ++c) {
    EXPECT_NE(cbor_errc_name(static_cast<cbor_errc>(c)), "unknown") << c;
  }
}

TEST(CborDecodeTest, EveryTruncationOfAValidDocumentIsRefused) {
  value v = value::object();
  v.add("StreamName", value::string("s"));
  v.add("Records", value::array({value::object({{"Data", value::blob(std::string(300, 'x'))},
                                                {"PartitionKey", value::string("k")}})}));
  v.add("Timestamp", value::timestamp(1'700'000'000'123));
  v.add("Limit", value::integer(70000));
  v.add("F", value::number(2.5));
  const std::string bytes = encode_cbor(v);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(refused(bytes.substr(0, n)), cbor_errc::truncated) << n;
  }
  EXPECT_TRUE(decode_cbor(bytes));
}

TEST(CborDecodeTest, MutatedDocumentsDecodeOrFailCleanly) {
  // Every byte of a realistic request set to every value: each result is a document or a
  // named error inside the input, never a crash or a read past the end (ASan-clean).
  value v = value::object();
  v.add("StreamName", value::string("stream"));
  v.add("Records", value::array({value::object({{"Data", value::blob("abc")},
                                                {"PartitionKey", value::string("k")}}),
                                 value::object({{"Data", value::blob(std::string(30, 'z'))},
                                                {"PartitionKey", value::string("k2")}})}));
  v.add("Timestamp", value::timestamp(1'700'000'000'123));
  const std::string bytes = encode_cbor(v);
  std::size_t refusals = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      std::string mutated = bytes;
      mutated[at] = static_cast<char>(b);
      cbor_error e;
      if (!decode_cbor(mutated, &e)) {
        ++refusals;
        EXPECT_LE(e.offset, mutated.size());
        EXPECT_NE(cbor_errc_name(e.code), "unknown");
      }
    }
  }
  EXPECT_GT(refusals, 0u);
}

// --- Encoding -----------------------------------------------------------------------------------

std::string encoded_hex(const value& v) {
  return to_hex(encode_cbor(v));
}

TEST(CborEncodeTest, IntegersInShortestForm) {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "00"},
      {23, "17"},
      {24, "1818"},
      {255, "18ff"},
      {256, "190100"},
      {65535, "19ffff"},
      {65536, "1a00010000"},
      {4294967295, "1affffffff"},
      {4294967296, "1b0000000100000000"},
      {std::numeric_limits<std::int64_t>::max(), "1b7fffffffffffffff"},
      {-1, "20"},
      {-24, "37"},
      {-25, "3818"},
      {-256, "38ff"},
      {-257, "390100"},
      {std::numeric_limits<std::int64_t>::min(), "3b7fffffffffffffff"},
  };
  for (const auto& [i, expected] : cases) EXPECT_EQ(encoded_hex(value::integer(i)), expected) << i;
}

TEST(CborEncodeTest, ScalarsBlobsAndTimestamps) {
  EXPECT_EQ(encoded_hex(value::number(1.5)), "fb3ff8000000000000");
  EXPECT_EQ(encoded_hex(value::number(-4.1)), "fbc010666666666666");
  EXPECT_EQ(encoded_hex(value::boolean(true)), "f5");
  EXPECT_EQ(encoded_hex(value::boolean(false)), "f4");
  EXPECT_EQ(encoded_hex(value()), "f6");
  EXPECT_EQ(encoded_hex(value::string("IETF")), "6449455446");
  EXPECT_EQ(encoded_hex(value::blob(hex("01020304"))), "4401020304");
  EXPECT_EQ(encoded_hex(value::blob(std::string(24, 'a'))), "5818" + to_hex(std::string(24, 'a')));
  // Tag 1 around integer epoch milliseconds, as the Java SDK v2 reads them.
  EXPECT_EQ(encoded_hex(value::timestamp(1363896240000)), "c11b0000013d8e8d0780");
  EXPECT_EQ(encoded_hex(value::timestamp(0)), "c100");
  EXPECT_EQ(encoded_hex(value::timestamp(-1)), "c120");
}

TEST(CborEncodeTest, ContainersGetDefiniteShortestLengths) {
  EXPECT_EQ(encoded_hex(value::object()), "a0");
  EXPECT_EQ(encoded_hex(value::array()), "80");
  value abc = value::object();
  abc.add("a", value::integer(1)).add("b", value::array({value::integer(2), value::integer(3)}));
  EXPECT_EQ(encoded_hex(abc), "a26161016162820203");
  value list = value::array();
  for (int i = 1; i <= 25; ++i) list.push(value::integer(i));
  EXPECT_EQ(encoded_hex(list), "98190102030405060708090a0b0c0d0e0f101112131415161718181819");
  // Widening headers nested in widening headers: 300 arrays of 30 items in a map of 40 keys.
  value big = value::object();
  for (int k = 0; k < 40; ++k) {
    value inner = value::array();
    for (int i = 0; i < 300; ++i) {
      value row = value::array();
      for (int j = 0; j < 30; ++j) row.push(value::integer(j));
      inner.push(std::move(row));
    }
    std::string name = "k";
    name += std::to_string(k);
    big.add(std::move(name), std::move(inner));
  }
  const std::string bytes = encode_cbor(big);
  EXPECT_EQ(to_hex(bytes.substr(0, 2)), "b828");    // map(40)
  EXPECT_EQ(to_hex(bytes.substr(2, 3)), "626b30");  // "k0"
  EXPECT_EQ(to_hex(bytes.substr(5, 3)), "99012c");  // array(300)
  EXPECT_EQ(to_hex(bytes.substr(8, 2)), "981e");    // array(30)
  auto back = decode_cbor(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(encode_json(*back), encode_json(big));
}

TEST(CborEncodeTest, ValuesRoundTrip) {
  value v = value::object();
  v.add("s", value::string("q\"\\\n\x01\xc3\xbc"));
  v.add("b", value::blob(std::string("\x00\xff\x80", 3)));
  v.add("i", value::integer(-123456789012345));
  v.add("n", value::number(0.1));
  v.add("t", value::timestamp(1'700'000'000'123));
  v.add("f", value::boolean(false));
  v.add("z", value());
  v.add("a", value::array({value::object(), value::array(), value::string("")}));
  auto back = decode_cbor(encode_cbor(v));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->members().size(), v.members().size());
  for (std::size_t i = 0; i < v.members().size(); ++i) {
    EXPECT_EQ(back->members()[i].first, v.members()[i].first);
    EXPECT_EQ(back->members()[i].second.type(), v.members()[i].second.type()) << i;
  }
  EXPECT_EQ(back->find("b")->as_string(), std::string("\x00\xff\x80", 3));
  EXPECT_EQ(back->find("t")->as_integer(), 1'700'000'000'123);
  EXPECT_EQ(back->find("n")->as_number(), 0.1);
  EXPECT_EQ(encode_json(*back), encode_json(v));
}

TEST(CborEncodeTest, ErrorBodiesAreCborMaps) {
  auto back = decode_cbor(error_body(resource_not_found("Stream x not found."), wire_codec::cbor));
  ASSERT_TRUE(back);
  EXPECT_EQ(encode_json(*back),
            R"({"__type":"ResourceNotFoundException","message":"Stream x not found."})");
  auto serialization = decode_cbor(error_body(serialization_error("bad"), wire_codec::cbor));
  ASSERT_TRUE(serialization);
  EXPECT_EQ(encode_json(*serialization), R"({"__type":"SerializationException","Message":"bad"})");
  auto bare = decode_cbor(error_body(unknown_operation(), wire_codec::cbor));
  ASSERT_TRUE(bare);
  EXPECT_EQ(encode_json(*bare), R"({"__type":"UnknownOperationException"})");
  // The server's own refusals follow the request's Content-Type.
  const auto cbor = encode_error(unknown_operation(), "application/x-amz-cbor-1.1; x=y");
  EXPECT_EQ(cbor.content_type, "application/x-amz-cbor-1.1");
  EXPECT_EQ(to_hex(cbor.body), to_hex(error_body(unknown_operation(), wire_codec::cbor)));
  const auto other = encode_error(unknown_operation(), "text/plain");
  EXPECT_EQ(other.content_type, "application/x-amz-json-1.1");
  EXPECT_EQ(other.body, R"({"__type":"UnknownOperationException"})");
  // JSON stays JSON.
  EXPECT_EQ(error_body(unknown_operation(), wire_codec::json),
            R"({"__type":"UnknownOperationException"})");
}

// --- Decoded CBOR through the schema ------------------------------------------------------------

const shape record_shape{{
    {.name = "Data", .type = member_type::blob, .required = true, .max_length = 4},
    {.name = "Timestamp", .type = member_type::timestamp},
    {.name = "Limit", .type = member_type::integer},
}};

TEST(CborSchemaTest, ByteStringsAreBlobsAndTimestampsAreMilliseconds) {
  value req = value::object();
  req.add("Data", value::blob("\x01\x02"));
  req.add("Timestamp", value::timestamp(1'700'000'000'123));
  ASSERT_FALSE(normalize(req, record_shape, number_time::epoch_millis));
  EXPECT_EQ(req.find("Data")->type(), value::kind::blob);
  EXPECT_EQ(req.find("Data")->as_string(), "\x01\x02");
  EXPECT_EQ(req.find("Timestamp")->type(), value::kind::integer);
  EXPECT_EQ(req.find("Timestamp")->as_integer(), 1'700'000'000'123);
  EXPECT_FALSE(validate(req, record_shape));
}

TEST(CborSchemaTest, PlainNumbersInTimestampsCountAsTheCodecSays) {
  value cbor =
      value::object({{"Data", value::blob("x")}, {"Timestamp", value::integer(1'700'000'000'123)}});
  ASSERT_FALSE(normalize(cbor, record_shape, number_time::epoch_millis));
  EXPECT_EQ(cbor.find("Timestamp")->as_integer(), 1'700'000'000'123);
  value json = value::object(
      {{"Data", value::string("eA==")}, {"Timestamp", value::number(1'700'000'000.123)}});
  ASSERT_FALSE(normalize(json, record_shape));
  EXPECT_EQ(json.find("Timestamp")->as_integer(), 1'700'000'000'123);
  EXPECT_EQ(json.find("Data")->as_string(), "x");
}

TEST(CborSchemaTest, BlobsAreCheckedAndRefusedWhereTheyDoNotBelong) {
  value too_long = value::object({{"Data", value::blob("12345")}});
  ASSERT_FALSE(normalize(too_long, record_shape, number_time::epoch_millis));
  auto e = validate(too_long, record_shape);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("Member must have length less than or equal to 4"), std::string::npos);
  for (const char* member : {"Timestamp", "Limit"}) {
    value wrong = value::object({{"Data", value::blob("x")}, {member, value::blob("1")}});
    auto s = normalize(wrong, record_shape, number_time::epoch_millis);
    ASSERT_TRUE(s) << member;
    EXPECT_TRUE(s->serialization);
  }
}

}  // namespace
}  // namespace spate::api
