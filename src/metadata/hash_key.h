// Kinesis hash-key arithmetic: the 128-bit key space [0, 2^128 - 1], how a partition key maps
// into it (MD5, read as a big-endian integer), and how CreateStream divides it among shards.
#pragma once

#include "common/uint128.h"

#include <cstddef>
#include <string_view>
#include <vector>

namespace spate::metadata {

// An inclusive range of hash keys, as Kinesis reports StartingHashKey / EndingHashKey.
struct hash_range {
  uint128 start = 0;
  uint128 end = 0;

  bool contains(uint128 key) const { return start <= key && key <= end; }
  friend bool operator==(const hash_range&, const hash_range&) = default;
};

// MD5 of the partition key's bytes as a big-endian 128-bit integer.
uint128 partition_key_hash(std::string_view partition_key);

// Splits the key space into `shards` (>= 1) ranges as CreateStream does: each gets
// floor(2^128 / shards) keys, and the last one also takes the remainder.
std::vector<hash_range> split_evenly(std::size_t shards);

}  // namespace spate::metadata
