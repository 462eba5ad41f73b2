// The eight-lane MD5 against OpenSSL: RFC 1321's vectors, then random messages of every
// length from 0 to 300 bytes and some past 1,000 (several blocks, lanes that finish at
// different blocks), in groups of every size from 1 to 17.
#include "common/md5_lanes.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace spate::md5 {
namespace {

std::string hex(const digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

TEST(Md5Lanes, Rfc1321Vectors) {
  const std::vector<std::string_view> messages = {
      "",
      "a",
      "abc",
      "message digest",
      "abcdefghijklmnopqrstuvwxyz",
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890"};
  const std::vector<std::string> expected = {
      "d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
      "900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
      "c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
      "57edf4a22be3c955ac49da2e2107b67a"};
  std::vector<digest> out(messages.size());
  of_each(messages, out);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(hex(out[i]), expected[i]) << "message " << i;
    EXPECT_EQ(hex(of(messages[i])), expected[i]) << "message " << i;
  }
}

TEST(Md5Lanes, LanesMatchOpenSslOnRandomMessages) {
  std::vector<digest> probe(2);
  const std::vector<std::string_view> two = {"a", "b"};
  if (!of_each_in_lanes(two, probe)) GTEST_SKIP() << "no AVX2 on this CPU";

  std::mt19937_64 random(20261204);
  std::vector<std::string> texts;
  for (std::size_t length = 0; length <= 300; ++length) texts.emplace_back(length, '\0');
  for (std::size_t length : {1000u, 1023u, 1024u, 1025u, 2048u, 4099u}) {
    texts.emplace_back(length, '\0');
  }
  for (auto& t : texts) {
    for (auto& c : t) c = static_cast<char>(random());
  }
  std::shuffle(texts.begin(), texts.end(), random);
  std::size_t at = 0, group = 1;
  while (at < texts.size()) {
    const std::size_t n = std::min(group, texts.size() - at);
    std::vector<std::string_view> messages(texts.begin() + at, texts.begin() + at + n);
    std::vector<digest> out(n);
    ASSERT_TRUE(of_each_in_lanes(messages, out));
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(hex(out[i]), hex(of(messages[i])))
          << "length " << messages[i].size() << " in a group of " << n;
    }
    at += n;
    group = group % 17 + 1;
  }
}

}  // namespace
}  // namespace spate::md5
