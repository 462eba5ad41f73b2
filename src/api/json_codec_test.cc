// json_codec: decoding keeps integers apart from doubles; encoding escapes and writes blobs
// as base64.
#include "api/json_codec.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

TEST(JsonCodecTest, DecodesTypes) {
  auto v = decode_json(R"({"a":1,"b":1.5,"c":"x","d":[true,null],"e":{}})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("a")->type(), value::kind::integer);
  EXPECT_EQ(v->find("b")->type(), value::kind::number);
  EXPECT_EQ(v->find("c")->as_string(), "x");
  EXPECT_EQ(v->find("d")->items().size(), 2u);
  EXPECT_TRUE(v->find("e")->is_object());
}

TEST(JsonCodecTest, RejectsMalformedJsonAndTreatsBlankAsEmpty) {
  EXPECT_FALSE(decode_json("{"));
  EXPECT_FALSE(decode_json(R"({"a":})"));
  auto blank = decode_json("  ");
  ASSERT_TRUE(blank);
  EXPECT_TRUE(blank->is_object());
}

TEST(JsonCodecTest, EncodesEscapesAndBlobs) {
  value v = value::object();
  v.add("s", value::string("q\"\\\n\x01"));
  v.add("b", value::blob(std::string("\xff", 1)));
  EXPECT_EQ(encode_json(v), R"({"s":"q\"\\\n\u0001","b":"/w=="})");
}

TEST(JsonCodecTest, EscapesAtEveryOffsetOfLongStrings) {
  for (char special : {'"', '\\', '\n', '\x1f'}) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string text(24, 'a');
      text[at] = special;
      std::string out;
      append_json_string(text, out);
      auto back = decode_json("[" + out + "]");
      ASSERT_TRUE(back) << out;
      EXPECT_EQ(back->items()[0].as_string(), text) << "offset " << at;
    }
  }
}

TEST(JsonCodecTest, EveryByteValueTakesTheSizeCounted) {
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at : {0u, 7u, 8u, 13u}) {
      std::string text(16, 'k');
      text[at] = static_cast<char>(c);
      std::string out;
      append_json_string(text, out);
      ASSERT_EQ(out.size(), json_string_size(text)) << "byte " << c << " at " << at;
      if (c < 0x80) {  // alone, a byte from 0x80 up is not UTF-8, which the parser checks
        auto back = decode_json("[" + out + "]");
        ASSERT_TRUE(back) << out;
        EXPECT_EQ(back->items()[0].as_string(), text) << "byte " << c << " at " << at;
      }
    }
  }
}

TEST(JsonCodecTest, TimestampsAreEpochSecondsWithMilliseconds) {
  std::string out;
  json_encoder enc(out);
  enc.begin_array();
  enc.timestamp(1700000000123);
  enc.timestamp(1700000000500);
  enc.timestamp(1700000000000);
  enc.timestamp(-1500);
  enc.timestamp(0);
  enc.end_array();
  EXPECT_EQ(out, "[1700000000.123,1700000000.5,1700000000,-1.5,0]");
}

}  // namespace
}  // namespace spate::api
