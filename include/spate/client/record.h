// The record types the client library hands to and from applications.
#pragma once

#include <spate/client/model.h>

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

// Where a shard reader starts when no checkpoint exists, an iterator is asked for or a
// subscription starts: the iterator type and its sequence number or timestamp.
struct start_position {
  shard_iterator_type type = shard_iterator_type::trim_horizon;
  std::string sequence_number;    // for at_/after_sequence_number
  std::int64_t timestamp_ms = 0;  // for at_timestamp

  static start_position trim_horizon() { return {}; }
  static start_position latest() { return {shard_iterator_type::latest, {}, 0}; }
  static start_position at_timestamp(std::int64_t ms) {
    return {shard_iterator_type::at_timestamp, {}, ms};
  }
  static start_position at_sequence(std::string s) {
    return {shard_iterator_type::at_sequence_number, std::move(s), 0};
  }
  static start_position after_sequence(std::string s) {
    return {shard_iterator_type::after_sequence_number, std::move(s), 0};
  }
};

}  // namespace spate::client
