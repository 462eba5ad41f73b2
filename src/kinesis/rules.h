// rules: the checks Kinesis makes before it changes a stream, as pure functions over the facts
// they need. spated's engine and the client's fake_stream both call them, in the same order,
// so both refuse the same requests with the same errors (the messages are in errors.h).
#pragma once

#include "kinesis/errors.h"
#include "kinesis/hash_keys.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace spate::kinesis {

// Who is asking about which stream: every message names both.
struct stream_facts {
  std::string_view name;
  std::string_view account;
};

struct shard_facts {
  std::string_view id;
  hash_range range;
  bool open = true;
};

// CreateStream, SplitShard, UpdateShardCount, UpdateStreamMode: the account's open shards
// plus `additional` may not pass `limit`.
std::optional<violation> check_shard_limit(std::string_view account, std::string_view region,
                                           std::size_t open, std::size_t additional,
                                           std::size_t limit);

// SplitShard: the parent is open, and the new starting key is above its start plus one and
// below its end.
std::optional<violation> check_split(const stream_facts& stream, const shard_facts& parent,
                                     uint128 new_start);

// MergeShards: both shards are open, and their ranges are adjacent (in either order).
std::optional<violation> check_merge(const stream_facts& stream, const shard_facts& shard,
                                     const shard_facts& adjacent);

// UpdateShardCount: the target is within the shard limit (for the stream and for the account,
// counting the stream's open shards as replaced), at most double and at least half of the
// stream's open shards.
std::optional<violation> check_shard_count(std::size_t current, std::size_t target,
                                           std::size_t account_open, std::size_t limit);

// Increase/DecreaseStreamRetentionPeriod: 24 to 8760 hours, and not in the wrong direction.
std::optional<violation> check_retention_hours(std::int64_t hours);
enum class retention_direction { increase, decrease };
std::optional<violation> check_retention_change(retention_direction direction, int hours,
                                                std::string_view stream, int current);

// PutRecord's SequenceNumberForOrdering, once it matched the model's pattern: besides the
// numbers the service issued itself, AWS accepts any decimal below 2^124, which it reads as a
// sequence number of its oldest layout (so "0" or "12345" are taken; kinesalite's tests, run
// against AWS, show the same).
bool old_layout_sequence_number(std::string_view decimal);

// Tag keys and values: Unicode letters, digits, white space and _ . / = + - % @.
std::optional<violation> check_tag_characters(const std::vector<std::string_view>& texts);

}  // namespace spate::kinesis
