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

}  // namespace
}  // namespace spate::api
