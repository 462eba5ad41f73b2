// Shard ids, names and ARNs.
#include "kinesis/identifiers.h"

#include "kinesis/limits.h"

#include <algorithm>
#include <charconv>

namespace spate::kinesis {

namespace {

constexpr std::string_view shard_prefix = "shardId-";
constexpr std::string_view consumer_marker = "/consumer/";

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void write_shard_id(shard_index index, char* out) {
  // Written by hand, not printed: a PutRecords answer names a shard for every record.
  std::copy(shard_prefix.begin(), shard_prefix.end(), out);
  for (std::size_t at = shard_id_length; at > shard_prefix.size(); index /= 10) {
    out[--at] = static_cast<char>('0' + index % 10);
  }
}

std::string shard_id(shard_index index) {
  std::string id(shard_id_length, '0');
  write_shard_id(index, id.data());
  return id;
}

std::optional<shard_index> parse_shard_id(std::string_view id) {
  if (id.size() != shard_prefix.size() + 12 || !id.starts_with(shard_prefix)) {
    return std::nullopt;
  }
  const auto digits = id.substr(shard_prefix.size());
  if (!all_digits(digits)) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<shard_index>(value);
}

std::optional<shard_index> lenient_shard_index(std::string_view text) {
  const auto dash = text.find('-');
  const std::string_view digits = dash == std::string_view::npos ? text : text.substr(dash + 1);
  if (digits.empty() || digits.size() > 20 || !all_digits(digits)) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : digits) {
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > 2147483647) return std::nullopt;
  }
  return static_cast<shard_index>(n);
}

bool valid_name(std::string_view name) {
  return name.size() <= max_name_length && name_characters(name);
}

bool name_characters(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string stream_arn(std::string_view region, std::string_view account, std::string_view name) {
  std::string arn = "arn:aws:kinesis:";
  arn.append(region).append(":").append(account).append(":stream/").append(name);
  return arn;
}

stream_arn_parts parse_stream_arn(std::string_view arn) {
  stream_arn_parts parts;
  parts.name = arn;
  const auto slash = arn.find(":stream/");
  if (slash == std::string_view::npos) return parts;
  parts.name = arn.substr(slash + 8);
  const auto before = arn.substr(0, slash);  // arn:<partition>:kinesis:<region>:<account>
  const auto colon = before.rfind(':');
  if (colon == std::string_view::npos) return parts;
  parts.account = before.substr(colon + 1);
  const auto region_colon = before.substr(0, colon).rfind(':');
  if (region_colon != std::string_view::npos) {
    parts.region = before.substr(region_colon + 1, colon - region_colon - 1);
  }
  return parts;
}

std::string consumer_arn(std::string_view stream_arn, std::string_view consumer,
                         std::int64_t created_ms) {
  std::string arn(stream_arn);
  arn.append(consumer_marker)
      .append(consumer)
      .append(":")
      .append(std::to_string(created_ms / 1000));
  return arn;
}

std::optional<consumer_arn_parts> parse_consumer_arn(std::string_view arn) {
  const auto marker = arn.find(consumer_marker);
  const auto colon = arn.rfind(':');
  if (marker == std::string_view::npos || colon == std::string_view::npos || colon < marker) {
    return std::nullopt;
  }
  consumer_arn_parts parts;
  parts.stream_arn = arn.substr(0, marker);
  const auto name_at = marker + consumer_marker.size();
  parts.consumer = arn.substr(name_at, colon - name_at);
  const auto digits = arn.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), parts.created_s);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (parts.consumer.empty() || parse_stream_arn(parts.stream_arn).name.empty()) {
    return std::nullopt;
  }
  return parts;
}

}  // namespace spate::kinesis
