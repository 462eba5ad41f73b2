// The record types the client library hands to and from applications.
#pragma once

#include <cstdint>
#include <string>

namespace spate::client {

// A record read from a shard (GetRecords, SubscribeToShard, the consumer).
struct record {
  std::string sequence_number;
  std::string partition_key;
  std::string data;                // raw bytes (not base64)
  std::int64_t arrival_ms = 0;     // ApproximateArrivalTimestamp, epoch milliseconds
  std::string explicit_hash_key;   // set only for a record de-aggregated from a KPL record
  std::uint32_t sub_sequence = 0;  // index inside a KPL aggregate (0 if not aggregated)
  bool aggregated = false;         // came out of a KPL aggregate
};

// Where a shard reader starts when no checkpoint exists (or an iterator is asked for).
enum class start_kind {
  trim_horizon,
  latest,
  at_timestamp,
  at_sequence_number,
  after_sequence_number
};

struct start_position {
  start_kind kind = start_kind::trim_horizon;
  std::string sequence_number;    // for at_/after_sequence_number
  std::int64_t timestamp_ms = 0;  // for at_timestamp

  static start_position trim_horizon() { return {}; }
  static start_position latest() { return {start_kind::latest, {}, 0}; }
  static start_position at_timestamp(std::int64_t ms) { return {start_kind::at_timestamp, {}, ms}; }
  static start_position at_sequence(std::string s) {
    return {start_kind::at_sequence_number, std::move(s), 0};
  }
  static start_position after_sequence(std::string s) {
    return {start_kind::after_sequence_number, std::move(s), 0};
  }
};

}  // namespace spate::client
