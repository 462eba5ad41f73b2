// base64: RFC 4648 vectors, strict rejection of malformed text, and the encoder and the vector
// decoder checked against plain versions on every byte value and on random text.
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

// Every length from 0 to 600 (each block count, each tail), every byte value in every lane
// position, and the end of the input at the end of a page: the vector encoder reads only the
// bytes it is given.
TEST(Base64Test, VectorEncoderMatchesThePlainOneOnEveryLength) {
  if (!has_vector_codec()) GTEST_SKIP() << "no AVX2 in this build or CPU";
  std::mt19937_64 random(20261205);
  for (std::size_t length = 0; length <= 600; ++length) {
    std::string bytes(length, '\0');
    for (std::size_t i = 0; i < length; ++i)
      bytes[i] = static_cast<char>(length % 2 ? random() : i * 7 + length);
    std::string plain(encoded_size(length), '?');
    std::string vector(encoded_size(length), '?');
    ASSERT_EQ(encode_to_plain(bytes, plain.data()), plain.data() + plain.size());
    ASSERT_EQ(encode_to_vector(bytes, vector.data()), vector.data() + vector.size());
    ASSERT_EQ(vector, plain) << "length " << length;
    ASSERT_EQ(plain, plain_encode(bytes)) << "length " << length;
  }
  for (int c = 0; c < 256; ++c) {
    const std::string bytes(48, static_cast<char>(c));
    std::string vector(64, '?');
    encode_to_vector(bytes, vector.data());
    ASSERT_EQ(vector, plain_encode(bytes)) << "byte " << c;
  }
}

// The plain decoder's answer and the vector decoder's, for `text`.
struct both_answers {
  bool plain_ok, vector_ok;
  std::string plain, vector;
};
both_answers decode_both(std::string_view text) {
  both_answers a{};
  a.plain_ok = decode_append_plain(text, a.plain);
  a.vector_ok = decode_append_vector(text, a.vector);
  return a;
}

TEST(Base64Test, VectorDecoderRefusesExactlyWhatThePlainOneRefusesForEveryByteValue) {
  if (!has_vector_codec()) GTEST_SKIP() << "no AVX2 in this build or CPU";
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(96, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 77 + 3);
  const std::string text = encode(bytes);  // 128 characters: four whole vector blocks
  ASSERT_EQ(text.size(), 128u);
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at : {0, 5, 31, 32, 47, 100, 127}) {
      std::string changed = text;
      changed[at] = static_cast<char>(c);
      const auto a = decode_both(changed);
      const bool in_alphabet = alphabet.find(static_cast<char>(c)) != std::string_view::npos;
      // (At 127, the last character, the plain tail decides; '=' there is padding.)
      if (at != 127) {
        ASSERT_EQ(a.vector_ok, in_alphabet) << "byte " << c << " at " << at;
      }
      ASSERT_EQ(a.vector_ok, a.plain_ok) << "byte " << c << " at " << at;
      if (a.plain_ok) {
        ASSERT_EQ(a.vector, a.plain) << "byte " << c << " at " << at;
      }
    }
  }
}

TEST(Base64Test, VectorDecoderMatchesThePlainOneOnRandomText) {
  if (!has_vector_codec()) GTEST_SKIP() << "no AVX2 in this build or CPU";
  std::mt19937_64 random(20261205);
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(random() % 700, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    std::string text = encode(bytes);
    // Half the texts get damaged: a byte of any value, an '=' inside, or one character cut.
    const auto damage = random() % 6;
    if (!text.empty() && damage == 0) text[random() % text.size()] = static_cast<char>(random());
    if (!text.empty() && damage == 1) text[random() % text.size()] = '=';
    if (!text.empty() && damage == 2) text.erase(random() % text.size(), 1);
    const auto a = decode_both(text);
    refused += a.plain_ok ? 0 : 1;
    ASSERT_EQ(a.vector_ok, a.plain_ok) << "round " << round;
    if (a.plain_ok) {
      ASSERT_EQ(a.vector, a.plain) << "round " << round;
    }
    if (damage > 2) {
      ASSERT_EQ(a.vector, bytes) << "round " << round;
    }
  }
  // Both outcomes were exercised, many times over.
  EXPECT_GT(refused, 5000);
  EXPECT_LT(refused, 15000);
}

}  // namespace
}  // namespace spate::base64
