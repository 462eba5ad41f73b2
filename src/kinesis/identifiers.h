// identifiers: how Kinesis names things - shard ids, stream and consumer names, and the ARNs of
// streams and consumers - formatted and parsed in one place for spated and the fake stream.
//
//   shard id       "shardId-" + the shard's index in 12 digits ("shardId-000000000007")
//   names          1 to 128 of [a-zA-Z0-9_.-] (streams and consumers alike)
//   stream ARN     arn:aws:kinesis:<region>:<account>:stream/<name>
//   consumer ARN   <stream ARN>/consumer/<consumer name>:<creation time, epoch seconds>
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::kinesis {

using shard_index = std::uint32_t;

std::string shard_id(shard_index index);
// The same into out[0, shard_id_length), without allocating.
inline constexpr std::size_t shard_id_length = 20;  // "shardId-" and 12 digits
void write_shard_id(shard_index index, char* out);
// Exactly the form shard_id() writes; nullopt otherwise.
std::optional<shard_index> parse_shard_id(std::string_view id);
// AWS reads a ShardId leniently: the digits after the first '-' (or the whole text), at most
// 2147483647. So "shardId-5", "5" and "x-00005" all name shardId-000000000005.
std::optional<shard_index> lenient_shard_index(std::string_view text);

// A stream or consumer name AWS accepts: valid_name() is the whole rule, name_characters() its
// pattern alone ([a-zA-Z0-9_.-]+, the request models' pattern, checked apart from the length).
bool valid_name(std::string_view name);
bool name_characters(std::string_view name);

std::string stream_arn(std::string_view region, std::string_view account, std::string_view name);

// What a stream ARN points at. `name` is empty when the text is not a stream ARN at all.
struct stream_arn_parts {
  std::string_view region;
  std::string_view account;
  std::string_view name;
};
// Reads arn:<partition>:kinesis:<region>:<account>:stream/<name>; a text without ":stream/"
// gives the whole text as the name and no account (the caller names it in its error).
stream_arn_parts parse_stream_arn(std::string_view arn);

std::string consumer_arn(std::string_view stream_arn, std::string_view consumer,
                         std::int64_t created_ms);

struct consumer_arn_parts {
  std::string_view stream_arn;
  std::string_view consumer;
  std::int64_t created_s = 0;
};
// nullopt unless `arn` is <stream ARN>/consumer/<name>:<seconds> with both names non-empty.
std::optional<consumer_arn_parts> parse_consumer_arn(std::string_view arn);

}  // namespace spate::kinesis
