// hash_keys: Kinesis hash-key arithmetic - the 128-bit key space [0, 2^128 - 1], how a
// partition key maps into it (MD5, read as a big-endian integer), how CreateStream and
// UpdateShardCount divide it evenly among shards, and which ranges may merge.
#pragma once

#include "common/uint128.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace spate::kinesis {

// An inclusive range of hash keys, as Kinesis reports StartingHashKey / EndingHashKey.
struct hash_range {
  uint128 start = 0;
  uint128 end = 0;

  bool contains(uint128 key) const { return start <= key && key <= end; }
  friend bool operator==(const hash_range&, const hash_range&) = default;
};

// MD5 of the partition key's bytes as a big-endian 128-bit integer.
uint128 partition_key_hash(std::string_view partition_key);

// out[i] = partition_key_hash(partition_keys[i]), several keys at once where the CPU allows
// (common/md5_lanes.h): how a PutRecords request routes its records.
void partition_key_hashes(std::span<const std::string_view> partition_keys, std::span<uint128> out);

// Splits the key space into `shards` (>= 1) ranges as CreateStream does: each gets
// floor(2^128 / shards) keys, and the last one also takes the remainder.
std::vector<hash_range> split_evenly(std::size_t shards);

// The key that starts the upper half of `range` when it is split in two even halves
// (start + (end - start) / 2 + 1); nullopt when the range holds a single key.
std::optional<uint128> midpoint(const hash_range& range);

// Whether one range ends just before the other starts (in either order).
bool adjacent_ranges(const hash_range& a, const hash_range& b);

}  // namespace spate::kinesis
