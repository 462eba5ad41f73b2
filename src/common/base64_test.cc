// base64: RFC 4648 vectors and strict rejection of malformed text.
#include "common/base64.h"

#include <gtest/gtest.h>

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
