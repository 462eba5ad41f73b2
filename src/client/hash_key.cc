// MD5 partition-key hashing and decimal conversion of 128-bit hash keys.
#include "client/hash_key.h"

#include <spate/client/client.h>

#include <openssl/evp.h>

#include <algorithm>

namespace spate::client::detail {

hash_key partition_hash(std::string_view partition_key) {
  unsigned char digest[16];
  unsigned int len = 0;
  EVP_Digest(partition_key.data(), partition_key.size(), digest, &len, EVP_md5(), nullptr);
  hash_key key = 0;
  for (unsigned char b : digest) key = (key << 8) | b;
  return key;
}

std::string to_decimal(hash_key key) {
  if (key == 0) return "0";
  std::string out;
  while (key != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(key % 10)));
    key /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<hash_key> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  hash_key key = 0;
  const hash_key max = ~hash_key{0};
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    hash_key digit = static_cast<hash_key>(c - '0');
    if (key > (max - digit) / 10) return std::nullopt;
    key = key * 10 + digit;
  }
  return key;
}

}  // namespace spate::client::detail

namespace spate::client {

std::string hash_key_midpoint(const hash_key_range& range) {
  auto lo = detail::parse_decimal(range.starting_hash_key);
  auto hi = detail::parse_decimal(range.ending_hash_key);
  if (!lo || !hi || *hi <= *lo) return {};
  return detail::to_decimal(*lo + (*hi - *lo) / 2 + 1);
}

}  // namespace spate::client
