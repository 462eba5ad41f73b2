// push_wire: the bytes spate-push-bench adds to kinesis_wire.h. Records that carry their send
// time, the bodies of the push-related actions (RegisterStreamConsumer, SubscribeToShard,
// GetShardIterator at LATEST, DeleteStream of a stream with consumers), and the parsing of
// what subscribers receive: spated's WebSocket messages, SubscribeToShardEvent payloads and
// GetRecords answers, each into the few facts the benchmark checks (sequence numbers, in order)
// and measures (the send time at the front of each record's data).
//
// A stamped record's data: the send time as 8 bytes little-endian (steady_clock nanoseconds;
// the producer and the subscribers share one process, so one clock), then random bytes up to
// the record size. Base64 turns the first 9 bytes into the first 12 characters, so a
// subscriber decodes only those 12 to read the stamp.
//
// Nothing here touches a socket. Every function is thread safe except through its arguments
// (a stamped_record_factory or a simdjson parser belongs to one thread).
#pragma once

#include "benchmarks/load/kinesis_wire.h"

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace spate::bench {

inline constexpr std::size_t stamp_bytes = 8;

// --- stamped records ------------------------------------------------------------------------

// The send time at the front of a record's base64 data, or nullopt if the data is shorter
// than a stamp or is not base64.
inline std::optional<std::uint64_t> read_stamp(std::string_view data_b64) {
  if (data_b64.size() < 12) return std::nullopt;
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    if (c == '=') return 0;  // padding of an 8-byte record: the stamp is in the bits before it
    return -1;
  };
  std::uint8_t bytes[9];
  for (std::size_t group = 0; group < 3; ++group) {
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const int v = sextet(data_b64[4 * group + i]);
      if (v < 0) return std::nullopt;
      bits = bits << 6 | static_cast<std::uint32_t>(v);
    }
    bytes[3 * group] = static_cast<std::uint8_t>(bits >> 16);
    bytes[3 * group + 1] = static_cast<std::uint8_t>(bits >> 8);
    bytes[3 * group + 2] = static_cast<std::uint8_t>(bits);
  }
  std::uint64_t stamp = 0;
  for (std::size_t i = stamp_bytes; i-- > 0;) stamp = stamp << 8 | bytes[i];
  return stamp;
}

// Makes PutRecords bodies whose records carry a stamp, then random bytes (slices of a random
// pool, so a body costs a copy and a base64 pass per record), under random partition keys.
class stamped_record_factory {
 public:
  explicit stamped_record_factory(std::uint64_t seed)
      : keys_(seed), rng_(seed ^ 0x9e3779b97f4a7c15) {
    pool_ = keys_.data(pool_size);
  }

  // A PutRecords body of `count` records of `record_size` (>= 8) bytes stamped `stamp`.
  std::string put_records_body(std::string_view stream, std::size_t count, std::size_t record_size,
                               std::uint64_t stamp) {
    std::string body;
    body.reserve(64 + count * (4 * record_size / 3 + 64));
    body += "{\"StreamName\":";
    append_json_string(body, stream);
    body += ",\"Records\":[";
    raw_.resize(record_size);
    for (std::size_t i = 0; i < stamp_bytes; ++i)
      raw_[i] = static_cast<char>(stamp >> (8 * i) & 0xff);
    const std::size_t tail = record_size - stamp_bytes;
    for (std::size_t i = 0; i < count; ++i) {
      if (tail > 0) {
        const std::size_t from = rng_() % (pool_.size() - tail + 1);
        std::copy_n(pool_.data() + from, tail, raw_.data() + stamp_bytes);
      }
      body += i ? ",{\"Data\":\"" : "{\"Data\":\"";
      append_base64(body, raw_);
      body += "\",\"PartitionKey\":\"";
      body += keys_.partition_key();
      body += "\"}";
    }
    body += "]}";
    return body;
  }

 private:
  static constexpr std::size_t pool_size = 1u << 20;  // records of up to 1 MiB

  record_factory keys_;
  std::mt19937_64 rng_;
  std::string pool_;
  std::string raw_;  // the record being encoded
};

// True if sequence number `a` comes before `b` (both decimal, without leading zeros).
inline bool sequence_before(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// --- requests -------------------------------------------------------------------------------

inline std::string register_consumer_body(std::string_view stream_arn, std::string_view consumer) {
  std::string body = "{\"StreamARN\":";
  append_json_string(body, stream_arn);
  body += ",\"ConsumerName\":";
  append_json_string(body, consumer);
  body += '}';
  return body;
}

inline std::string describe_consumer_body(std::string_view consumer_arn) {
  std::string body = "{\"ConsumerARN\":";
  append_json_string(body, consumer_arn);
  body += '}';
  return body;
}

inline std::string subscribe_to_shard_body(std::string_view consumer_arn, std::string_view shard) {
  std::string body = "{\"ConsumerARN\":";
  append_json_string(body, consumer_arn);
  body += ",\"ShardId\":";
  append_json_string(body, shard);
  body += ",\"StartingPosition\":{\"Type\":\"LATEST\"}}";
  return body;
}

// DeleteStream that also removes the stream's consumers.
inline std::string delete_stream_body(std::string_view stream) {
  std::string body = "{\"StreamName\":";
  append_json_string(body, stream);
  body += ",\"EnforceConsumerDeletion\":true}";
  return body;
}

// The target of a WebSocket subscription to every shard of `stream` from its live end. Stream
// names are [a-zA-Z0-9_.-], which need no percent-encoding.
inline std::string websocket_target(std::string_view stream) {
  std::string target = "/v1/subscribe?stream=";
  target += stream;
  target += "&from=LATEST";
  return target;
}

// --- answers --------------------------------------------------------------------------------

// DescribeStreamSummary: the StreamARN (RegisterStreamConsumer names the stream by it).
inline call_result<std::string> parse_stream_arn(simdjson::ondemand::parser& parser,
                                                 const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  std::string_view arn;
  if (root->find_field_unordered("StreamDescriptionSummary")
          .find_field_unordered("StreamARN")
          .get_string()
          .get(arn))
    return bad_response("no StreamDescriptionSummary.StreamARN");
  return std::string(arn);
}

// RegisterStreamConsumer ("Consumer") and DescribeStreamConsumer ("ConsumerDescription"): the
// consumer's ARN and status.
struct consumer_reply {
  std::string arn;
  std::string status;
};

inline call_result<consumer_reply> parse_consumer(simdjson::ondemand::parser& parser,
                                                  const http_reply& reply,
                                                  std::string_view wrapper) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  simdjson::ondemand::object consumer;
  if (root->find_field_unordered(wrapper).get_object().get(consumer))
    return bad_response("no " + std::string(wrapper) + " object");
  consumer_reply out;
  for (auto field : consumer) {
    std::string_view key, value;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key != "ConsumerARN" && key != "ConsumerStatus") continue;
    if (field.value().get_string().get(value))
      return bad_response(std::string(key) + " is not a string");
    (key == "ConsumerARN" ? out.arn : out.status) = std::string(value);
  }
  if (out.arn.empty()) return bad_response("no ConsumerARN");
  return out;
}

// One record as a subscriber sees it; the views point into the parser and stay valid until
// it parses again.
struct pushed_record {
  std::string_view sequence;
  std::string_view data;  // base64
};

// What one WebSocket message, SubscribeToShardEvent or GetRecords answer carried.
struct record_batch {
  std::string_view shard;  // WebSocket messages only
  std::vector<pushed_record> records;
  std::string next_iterator;  // GetRecords only; empty at the end of a closed shard
  std::int64_t millis_behind = -1;

  void clear() {
    shard = {};
    records.clear();
    next_iterator.clear();
    millis_behind = -1;
  }
};

namespace detail {

// Reads an array of records whose members are named `sequence_key` and `data_key`.
inline call_result<> read_records(simdjson::ondemand::value value, std::string_view sequence_key,
                                  std::string_view data_key, record_batch& out) {
  simdjson::ondemand::array records;
  if (value.get_array().get(records)) return bad_response("records are not an array");
  for (auto entry : records) {
    simdjson::ondemand::object record;
    if (entry.get_object().get(record)) return bad_response("a record is not an object");
    pushed_record r;
    for (auto f : record) {
      std::string_view k;
      if (f.unescaped_key().get(k)) return bad_response("bad key in a record");
      if (k == sequence_key) {
        if (f.value().get_string().get(r.sequence)) return bad_response("bad sequence number");
      } else if (k == data_key) {
        if (f.value().get_string().get(r.data)) return bad_response("data is not a string");
      }
    }
    if (r.sequence.empty() || r.data.empty())
      return bad_response("a record lacks its sequence number or data");
    out.records.push_back(r);
  }
  return {};
}

}  // namespace detail

// A spated WebSocket message: {"shardId":..,"records":[{"sequenceNumber","partitionKey",
// "data","arrival"}],"millisBehindLatest":..}. `text` must be followed by SIMDJSON_PADDING
// readable bytes (`capacity` counts them).
inline call_result<> parse_websocket_message(simdjson::ondemand::parser& parser,
                                             std::string_view text, std::size_t capacity,
                                             record_batch& out) {
  out.clear();
  simdjson::ondemand::document doc;
  if (auto e = parser.iterate(text.data(), text.size(), capacity).get(doc))
    return bad_response(simdjson::error_message(e));
  simdjson::ondemand::object root;
  if (auto e = doc.get_object().get(root)) return bad_response(simdjson::error_message(e));
  bool saw_records = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "shardId") {
      if (field.value().get_string().get(out.shard)) return bad_response("shardId is not a string");
    } else if (key == "records") {
      saw_records = true;
      if (auto r = detail::read_records(field.value(), "sequenceNumber", "data", out); !r)
        return r.error();
    } else if (key == "millisBehindLatest") {
      if (field.value().get_int64().get(out.millis_behind))
        return bad_response("millisBehindLatest is not an integer");
    }
  }
  if (out.shard.empty() || !saw_records) return bad_response("a message lacks shardId or records");
  return {};
}

// A SubscribeToShardEvent payload or a GetRecords answer body: {"Records":[{"SequenceNumber",
// "Data",..}], "NextShardIterator" or "ContinuationSequenceNumber", "MillisBehindLatest"}.
// Padding as above.
inline call_result<> parse_kinesis_records(simdjson::ondemand::parser& parser,
                                           std::string_view json, std::size_t capacity,
                                           record_batch& out) {
  out.clear();
  simdjson::ondemand::document doc;
  if (auto e = parser.iterate(json.data(), json.size(), capacity).get(doc))
    return bad_response(simdjson::error_message(e));
  simdjson::ondemand::object root;
  if (auto e = doc.get_object().get(root)) return bad_response(simdjson::error_message(e));
  bool saw_records = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "Records") {
      saw_records = true;
      if (auto r = detail::read_records(field.value(), "SequenceNumber", "Data", out); !r)
        return r.error();
    } else if (key == "NextShardIterator") {
      std::string_view next;
      if (field.value().get_string().get(next) == simdjson::SUCCESS)
        out.next_iterator = std::string(next);
    } else if (key == "MillisBehindLatest") {
      if (field.value().get_int64().get(out.millis_behind))
        return bad_response("MillisBehindLatest is not an integer");
    }
  }
  if (!saw_records) return bad_response("no Records");
  return {};
}

}  // namespace spate::bench
