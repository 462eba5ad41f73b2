// The record as the storage layer sees it: what an append takes (record_input), what a read
// returns (record_view, inside a read_batch that owns the bytes) and the limits of a read.
#pragma once

#include "common/uint128.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace spate::storage {

// Position of a record within its shard: 0 for the first record ever appended, then +1 each.
using position = std::uint64_t;

struct record_input {
  std::string_view partition_key;
  std::optional<uint128> explicit_hash_key;
  std::string_view data;
};

struct record_view {
  position pos = 0;
  std::int64_t arrival_ms = 0;
  std::string_view partition_key;
  std::optional<uint128> explicit_hash_key;
  std::string_view data;
};

}  // namespace spate::storage

namespace spate::storage {

// Limits of one read; a read returns at least one record if any is available, even one
// larger than max_bytes, so a reader can never be stuck behind a big record.
struct read_limits {
  std::size_t max_records = 10000;
  std::size_t max_bytes = 10u << 20;  // counted over partition keys and data
};

// Records returned by a read, with the buffers their views point into.
struct read_batch {
  std::vector<record_view> records;
  position next = 0;      // where the following read should start
  std::size_t bytes = 0;  // partition key + data bytes in `records`
  std::vector<std::unique_ptr<char[]>> buffers;
};

}  // namespace spate::storage
