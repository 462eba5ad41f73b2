// The checks made before a stream changes.
#include "kinesis/rules.h"

#include "common/uint128.h"
#include "kinesis/limits.h"

#include <cctype>

namespace spate::kinesis {

std::optional<violation> check_shard_limit(std::string_view account, std::string_view region,
                                           std::size_t open, std::size_t additional,
                                           std::size_t limit) {
  if (open + additional > limit) {
    return shard_limit_exceeded(account, region, open, limit, additional);
  }
  return std::nullopt;
}

std::optional<violation> check_split(const stream_facts& stream, const shard_facts& parent,
                                     uint128 new_start) {
  if (!parent.open) return shard_not_splittable(parent.id, stream.name, stream.account);
  if (new_start <= parent.range.start + 1 || new_start >= parent.range.end) {
    return split_key_out_of_range(to_decimal(new_start), parent.id, stream.name, stream.account,
                                  to_decimal(parent.range.start), to_decimal(parent.range.end));
  }
  return std::nullopt;
}

std::optional<violation> check_merge(const stream_facts& stream, const shard_facts& shard,
                                     const shard_facts& adjacent) {
  for (const auto* s : {&shard, &adjacent}) {
    if (!s->open) return shard_not_mergeable(s->id, stream.name, stream.account);
  }
  if (shard.id == adjacent.id || !adjacent_ranges(shard.range, adjacent.range)) {
    return shards_not_adjacent(shard.id, adjacent.id, stream.name, stream.account);
  }
  return std::nullopt;
}

std::optional<violation> check_shard_count(std::size_t current, std::size_t target,
                                           std::size_t account_open, std::size_t limit) {
  if (target > limit || account_open - current + target > limit) {
    return shard_count_over_limit(limit, current, target);
  }
  if (target > current * 2) return shard_count_over_double(current, target);
  if (target * 2 < current) return shard_count_under_half(current, target);
  return std::nullopt;
}

std::optional<violation> check_retention_hours(std::int64_t hours) {
  if (hours < min_retention_hours) return retention_too_short(hours);
  if (hours > max_retention_hours) return retention_too_long(hours);
  return std::nullopt;
}

std::optional<violation> check_retention_change(retention_direction direction, int hours,
                                                std::string_view stream, int current) {
  if (direction == retention_direction::increase && hours < current) {
    return retention_shorter_than_current(hours, stream, current);
  }
  if (direction == retention_direction::decrease && hours > current) {
    return retention_longer_than_current(hours, stream, current);
  }
  return std::nullopt;
}

bool old_layout_sequence_number(std::string_view decimal) {
  const auto value = parse_uint128(decimal);
  return value && *value < (uint128{1} << 124);
}

std::optional<violation> check_tag_characters(const std::vector<std::string_view>& texts) {
  for (auto text : texts) {
    for (char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = c >= 0x80 || std::isalnum(c) || c == ' ' || c == '_' || c == '.' ||
                      c == '/' || c == '=' || c == '+' || c == '-' || c == '%' || c == '@';
      if (!ok) return tag_characters();
    }
  }
  return std::nullopt;
}

}  // namespace spate::kinesis
