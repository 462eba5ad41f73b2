// MD5 routing, even key-space splits, midpoints and adjacency.
#include "kinesis/hash_keys.h"

#include "common/assert.h"
#include "common/md5_lanes.h"

#include <algorithm>
#include <array>

namespace spate::kinesis {

uint128 partition_key_hash(std::string_view partition_key) {
  return from_big_endian(md5::of(partition_key).data());
}

void partition_key_hashes(std::span<const std::string_view> partition_keys,
                          std::span<uint128> out) {
  SPATE_ASSERT(partition_keys.size() == out.size(), "one hash for each key");
  constexpr std::size_t chunk = 64;  // digests on the stack at a time
  std::array<md5::digest, chunk> digests;
  for (std::size_t at = 0; at < partition_keys.size(); at += chunk) {
    const std::size_t n = std::min(chunk, partition_keys.size() - at);
    md5::of_each(partition_keys.subspan(at, n), std::span(digests).first(n));
    for (std::size_t i = 0; i < n; ++i) out[at + i] = from_big_endian(digests[i].data());
  }
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
