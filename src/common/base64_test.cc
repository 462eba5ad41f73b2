// base64: RFC 4648 vectors and strict rejection of malformed text.
#include "common/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spate {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64::encode(""), "");
  EXPECT_EQ(base64::encode("f"), "Zg==");
  EXPECT_EQ(base64::encode("fo"), "Zm8=");
  EXPECT_EQ(base64::encode("foo"), "Zm9v");
  EXPECT_EQ(base64::encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    const auto text = base64::encode(bytes.substr(0, n));
    EXPECT_EQ(base64::decode(text), bytes.substr(0, n));
  }
}

TEST(Base64Test, RejectsMalformedText) {
  EXPECT_FALSE(base64::decode("Zg="));       // length not a multiple of 4
  EXPECT_FALSE(base64::decode("Zm9*"));      // character outside the alphabet
  EXPECT_FALSE(base64::decode("Zh=="));      // leftover bits in the last character
  EXPECT_FALSE(base64::decode("Zm9=Zm9v"));  // padding in the middle
}

}  // namespace
}  // namespace spate

namespace spate::base64 {
namespace {

// RFC 4648 section 4 done bit by bit: the reference the table-driven encoder is checked against.
std::string plain_encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (unsigned char c : bytes) {
    bits = bits << 8 | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += alphabet[(bits >> held) & 63];
    }
  }
  if (held > 0) out += alphabet[(bits << (6 - held)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

TEST(Base64Test, EncoderMatchesThePlainOneOnRandomInput) {
  std::mt19937_64 random(20261204);
  for (std::size_t length = 0; length <= 600; ++length) {
    std::string bytes(length, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    ASSERT_EQ(encode(bytes), plain_encode(bytes)) << "length " << length;
    ASSERT_EQ(decode(encode(bytes)), bytes) << "length " << length;
  }
}

}  // namespace
}  // namespace spate::base64
