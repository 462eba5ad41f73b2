// MD5 routing, even key-space splits, midpoints and adjacency.
#include "kinesis/hash_keys.h"

#include "common/assert.h"

#include <openssl/evp.h>

namespace spate::kinesis {

namespace {

// OpenSSL 3 looks an algorithm up (under a lock) on every one-shot digest call; fetch MD5
// once and keep one digest context per thread, so routing a record costs only the hash.
struct md5_context {
  EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~md5_context() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

}  // namespace

uint128 partition_key_hash(std::string_view partition_key) {
  thread_local md5_context md5;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool ok = md5.md && md5.ctx && EVP_DigestInit_ex(md5.ctx, md5.md, nullptr) == 1 &&
                  EVP_DigestUpdate(md5.ctx, partition_key.data(), partition_key.size()) == 1 &&
                  EVP_DigestFinal_ex(md5.ctx, digest, &length) == 1;
  SPATE_ASSERT(ok && length == 16, "MD5 digest failed");
  return from_big_endian(digest);
}

std::vector<hash_range> split_evenly(std::size_t shards) {
  SPATE_ASSERT(shards >= 1, "a stream has at least one shard");
  const uint128 n = shards;
  // floor(2^128 / n), computed without 2^128: (2^128 - 1) / n, plus one when n divides 2^128.
  uint128 step = uint128_max / n;
  if (uint128_max % n == n - 1) ++step;
  std::vector<hash_range> ranges;
  ranges.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    const uint128 start = step * i;
    const uint128 end = (i + 1 == shards) ? uint128_max : start + step - 1;
    ranges.push_back({start, end});
  }
  return ranges;
}

std::optional<uint128> midpoint(const hash_range& range) {
  if (range.end <= range.start) return std::nullopt;
  return range.start + (range.end - range.start) / 2 + 1;
}

bool adjacent_ranges(const hash_range& a, const hash_range& b) {
  return (a.end != uint128_max && a.end + 1 == b.start) ||
         (b.end != uint128_max && b.end + 1 == a.start);
}

}  // namespace spate::kinesis
