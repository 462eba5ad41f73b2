// model: the values Kinesis Data Streams' actions take and return - the enumerations of the
// API (stream status and mode, encryption type, consumer status, shard filter, iterator type,
// scaling type, billing commitment status) and the structures several actions share (a stream
// reference, shards and their ranges, consumers).
//
// Each enumeration converts to the string AWS uses on the wire with to_string() and back with
// parse<E>(); answer-side enumerations have an `unknown` value for a string this client does
// not know yet (a newer service), so an answer never fails to decode because of one.
// Timestamps are epoch milliseconds; hash keys and sequence numbers are decimal strings, as on
// the wire (they do not fit 64 bits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::client {

// ---- enumerations --------------------------------------------------------------------------

enum class stream_status { creating, deleting, active, updating, unknown };
enum class stream_mode { provisioned, on_demand, unknown };
enum class encryption_type { none, kms, unknown };
enum class consumer_status { creating, deleting, active, unknown };
// ListShards' ShardFilter.Type.
enum class shard_filter_type {
  after_shard_id,
  at_trim_horizon,
  from_trim_horizon,
  at_latest,
  at_timestamp,
  from_timestamp
};
// Where an iterator or a subscription starts (ShardIteratorType, StartingPosition.Type).
enum class shard_iterator_type {
  trim_horizon,
  latest,
  at_timestamp,
  at_sequence_number,
  after_sequence_number
};
enum class scaling_type { uniform_scaling };
// MinimumThroughputBillingCommitment.Status.
enum class commitment_status { enabled, disabled, enabled_until_earliest_allowed_end, unknown };

// AWS's spelling: "ACTIVE", "ON_DEMAND", "KMS", "AT_TIMESTAMP", ... ("" for `unknown`).
std::string_view to_string(stream_status v);
std::string_view to_string(stream_mode v);
std::string_view to_string(encryption_type v);
std::string_view to_string(consumer_status v);
std::string_view to_string(shard_filter_type v);
std::string_view to_string(shard_iterator_type v);
std::string_view to_string(scaling_type v);
std::string_view to_string(commitment_status v);

// The value AWS spells `text`, or nullopt. parse<stream_mode>("ON_DEMAND") == on_demand.
template <class E>
std::optional<E> parse(std::string_view text);
template <>
std::optional<stream_status> parse(std::string_view text);
template <>
std::optional<stream_mode> parse(std::string_view text);
template <>
std::optional<encryption_type> parse(std::string_view text);
template <>
std::optional<consumer_status> parse(std::string_view text);
template <>
std::optional<shard_filter_type> parse(std::string_view text);
template <>
std::optional<shard_iterator_type> parse(std::string_view text);
template <>
std::optional<scaling_type> parse(std::string_view text);
template <>
std::optional<commitment_status> parse(std::string_view text);

// ---- shared structures ---------------------------------------------------------------------

// Names a stream by `stream_name` or `stream_arn` (either one; the ARN wins when both are set).
struct stream_ref {
  std::string stream_name;
  std::string stream_arn;
};

struct hash_key_range {
  std::string starting_hash_key;  // decimal 128-bit
  std::string ending_hash_key;
};

struct shard {
  std::string shard_id;
  std::string parent_shard_id;           // empty if none
  std::string adjacent_parent_shard_id;  // empty if none
  hash_key_range hash_range;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // empty while the shard is open
  bool open() const { return ending_sequence_number.empty(); }
};

// A shard a closed shard's records continue in (GetRecords and SubscribeToShard at its end).
struct child_shard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  hash_key_range hash_range;
};

// The hash key halfway through `range` (rounded down, above the start), for an even split;
// empty if the range is not two decimal keys or holds a single key.
std::string hash_key_midpoint(const hash_key_range& range);

// WarmThroughputObject.
struct warm_throughput_object {
  int target_mibps = 0;
  int current_mibps = 0;
};

struct consumer_description {
  std::string consumer_name;
  std::string consumer_arn;
  consumer_status status = consumer_status::unknown;
  std::int64_t created_ms = 0;
  std::string stream_arn;
};

struct billing_commitment {
  commitment_status status = commitment_status::unknown;
  std::int64_t started_ms = 0;               // 0 when not given
  std::int64_t ended_ms = 0;                 // 0 when not given
  std::int64_t earliest_allowed_end_ms = 0;  // 0 when not given
};

}  // namespace spate::client
