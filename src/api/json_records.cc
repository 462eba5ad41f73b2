// json_records: a page of records as JSON text, each record sized first, then written in place.
#include "api/json_records.h"

#include "api/json_codec.h"
#include "common/assert.h"
#include "common/base64.h"
#include "engine/sequence_number.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace spate::api {
namespace {

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

char* write_integer(std::int64_t value, char* out) {
  return std::to_chars(out, out + 20, value).ptr;
}

// The text of the last arrival time written: the records of one put share their arrival time,
// so a page needs it formatted once per put, not once per record.
template <char* (*write)(std::int64_t, char*)>
class arrival_text {
 public:
  std::string_view of(std::int64_t arrival_ms) {
    if (size_ == 0 || arrival_ms != arrival_ms_) {
      arrival_ms_ = arrival_ms;
      size_ = static_cast<std::size_t>(write(arrival_ms, text_) - text_);
    }
    return {text_, size_};
  }

 private:
  std::int64_t arrival_ms_ = 0;
  std::size_t size_ = 0;
  char text_[max_json_timestamp_size];
};

// What a record is written with besides its own fields: its sequence number's digits and its
// arrival time as text.
struct record_extras {
  char sequence[engine::sequence_number_digits];
  std::string_view arrival;
};

// GetRecords and SubscribeToShard: the members and their order as the token writer has them
// (record_encoding.cc).
struct kinesis_shape {
  using arrival = arrival_text<&write_json_timestamp>;
  static constexpr std::string_view open = R"({"SequenceNumber":")";
  static constexpr std::string_view after_sequence = R"(","ApproximateArrivalTimestamp":)";
  static constexpr std::string_view before_data = R"(,"Data":")";
  static constexpr std::string_view before_key = R"(","PartitionKey":)";
  static constexpr std::size_t fixed = open.size() + sizeof record_extras::sequence +
                                       after_sequence.size() + before_data.size() +
                                       before_key.size() + 1;  // the closing brace

  static char* write(const storage::record_view& r, const record_extras& x, char* out) {
    out = put(out, open);
    out = put(out, {x.sequence, sizeof x.sequence});
    out = put(out, after_sequence);
    out = put(out, x.arrival);
    out = put(out, before_data);
    out = base64::encode_to(r.data, out);
    out = put(out, before_key);
    out = write_json_string(r.partition_key, out);
    *out++ = '}';
    return out;
  }
};

// The WebSocket feed (websocket_feed.cc).
struct feed_shape {
  using arrival = arrival_text<&write_integer>;
  static constexpr std::string_view open = R"({"sequenceNumber":")";
  static constexpr std::string_view before_key = R"(","partitionKey":)";
  static constexpr std::string_view before_data = R"(,"data":")";
  static constexpr std::string_view before_arrival = R"(","arrival":)";
  static constexpr std::size_t fixed = open.size() + sizeof record_extras::sequence +
                                       before_key.size() + before_data.size() +
                                       before_arrival.size() + 1;

  static char* write(const storage::record_view& r, const record_extras& x, char* out) {
    out = put(out, open);
    out = put(out, {x.sequence, sizeof x.sequence});
    out = put(out, before_key);
    out = write_json_string(r.partition_key, out);
    out = put(out, before_data);
    out = base64::encode_to(r.data, out);
    out = put(out, before_arrival);
    out = put(out, x.arrival);
    *out++ = '}';
    return out;
  }
};

template <class Shape>
void append_records(const engine::records_page& page, std::string& out) {
  const auto& records = page.batch.records;
  // Room for all of it, but for keys that need escapes: the records are then written without
  // the string growing again.
  out.reserve(out.size() + 2 + page.batch.bytes / 3 * 4 +
              records.size() * (Shape::fixed + max_json_timestamp_size + 8));
  const engine::shard_sequence_formatter numbers(page.tag, page.shard);
  typename Shape::arrival arrival;
  record_extras x;
  out.push_back('[');
  for (std::size_t i = 0; i < records.size(); ++i) {
    const storage::record_view& r = records[i];
    numbers.format(r.pos, x.sequence);
    x.arrival = arrival.of(r.arrival_ms);
    const std::size_t comma = i > 0 ? 1 : 0;
    const std::size_t size = comma + Shape::fixed + x.arrival.size() +
                             base64::encoded_size(r.data.size()) +
                             json_string_size(r.partition_key);
    const std::size_t start = out.size();
    out.resize(start + size);
    char* at = out.data() + start;
    if (comma) *at++ = ',';
    SPATE_ASSERT(Shape::write(r, x, at) == out.data() + out.size(), "a record's size, miscounted");
  }
  out.push_back(']');
}

}  // namespace

void append_kinesis_records_json(const engine::records_page& page, std::string& out) {
  append_records<kinesis_shape>(page, out);
}

void append_feed_records_json(const engine::records_page& page, std::string& out) {
  append_records<feed_shape>(page, out);
}

}  // namespace spate::api
