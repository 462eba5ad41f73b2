// http_client: the network implementation of `kinesis` - each action as a JSON 1.1 request
// (X-Amz-Target: Kinesis_20131202.<Action>), signed with SigV4, sent through the transport,
// retried with backoff when the answer says a retry can help, and decoded into typed values.
#include "client/backoff.h"
#include "client/json_writer.h"
#include "client/sigv4.h"
#include "client/transport.h"
#include "common/base64.h"
#include "common/event_stream.h"

#include <spate/client/client.h>

#include <simdjson.h>

#include <cmath>
#include <stdexcept>
#include <thread>

namespace spate::client {
namespace detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr const char* json_content_type = "application/x-amz-json-1.1";
constexpr std::chrono::milliseconds subscription_idle_timeout{30'000};  // 6 missed heartbeats

// ---- reading answers ------------------------------------------------------------------------

std::string str(element el, const char* key) {
  std::string_view v;
  if (el[key].get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

std::int64_t integer(element el, const char* key) {
  element v;
  if (el[key].get(v) != simdjson::SUCCESS) return 0;
  if (std::int64_t i; v.get(i) == simdjson::SUCCESS) return i;
  if (double d; v.get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  return 0;
}

bool boolean(element el, const char* key) {
  bool b = false;
  return el[key].get(b) == simdjson::SUCCESS && b;
}

// AWS timestamps in JSON 1.1 are epoch seconds, fractional.
std::int64_t timestamp_ms(element el, const char* key) {
  element v;
  if (el[key].get(v) != simdjson::SUCCESS) return 0;
  if (double d; v.get(d) == simdjson::SUCCESS) return std::llround(d * 1000.0);
  if (std::int64_t i; v.get(i) == simdjson::SUCCESS) return i * 1000;
  return 0;
}

template <class F>
void each(element el, const char* key, F&& f) {
  simdjson::dom::array arr;
  if (el[key].get(arr) != simdjson::SUCCESS) return;
  for (element item : arr) f(item);
}

hash_key_range read_range(element el) {
  element r;
  if (el["HashKeyRange"].get(r) != simdjson::SUCCESS) return {};
  return {str(r, "StartingHashKey"), str(r, "EndingHashKey")};
}

shard read_shard(element el) {
  shard s;
  s.shard_id = str(el, "ShardId");
  s.parent_shard_id = str(el, "ParentShardId");
  s.adjacent_parent_shard_id = str(el, "AdjacentParentShardId");
  s.hash_range = read_range(el);
  element seq;
  if (el["SequenceNumberRange"].get(seq) == simdjson::SUCCESS) {
    s.starting_sequence_number = str(seq, "StartingSequenceNumber");
    s.ending_sequence_number = str(seq, "EndingSequenceNumber");
  }
  return s;
}

record read_record(element el) {
  record r;
  r.sequence_number = str(el, "SequenceNumber");
  r.partition_key = str(el, "PartitionKey");
  if (auto data = spate::base64::decode(str(el, "Data"))) r.data = std::move(*data);
  r.arrival_ms = timestamp_ms(el, "ApproximateArrivalTimestamp");
  return r;
}

std::vector<child_shard> read_children(element el) {
  std::vector<child_shard> out;
  each(el, "ChildShards", [&](element c) {
    child_shard child;
    child.shard_id = str(c, "ShardId");
    each(c, "ParentShards", [&](element p) {
      std::string_view v;
      if (p.get(v) == simdjson::SUCCESS) child.parent_shards.emplace_back(v);
    });
    child.hash_range = read_range(c);
    out.push_back(std::move(child));
  });
  return out;
}

consumer_description read_consumer(element el) {
  return {str(el, "ConsumerName"), str(el, "ConsumerARN"), str(el, "ConsumerStatus"),
          timestamp_ms(el, "ConsumerCreationTimestamp"), str(el, "StreamARN")};
}

std::map<std::string, std::string> read_tags(element el) {
  std::map<std::string, std::string> tags;
  each(el, "Tags", [&](element t) { tags[str(t, "Key")] = str(t, "Value"); });
  return tags;
}

// The error an answer carries: __type without its namespace prefix, and the message.
error read_error(int status, std::string_view body) {
  thread_local simdjson::dom::parser parser;
  error e{"", "", status};
  element doc;
  if (parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS) {
    e.code = str(doc, "__type");
    e.message = str(doc, "message");
    if (e.message.empty()) e.message = str(doc, "Message");
  }
  if (auto hash = e.code.rfind('#'); hash != std::string::npos) e.code.erase(0, hash + 1);
  if (e.code.empty()) e.code = status >= 500 ? "InternalFailure" : "UnknownError";
  if (e.message.empty()) e.message = "HTTP " + std::to_string(status);
  return e;
}

// ---- writing requests -------------------------------------------------------------------------

void write_stream(json_writer& w, const stream_ref& s) {
  if (!s.stream_arn.empty()) {
    w.member("StreamARN", s.stream_arn);
  } else {
    w.member("StreamName", s.stream_name);
  }
}

const char* start_type(start_kind k) {
  switch (k) {
    case start_kind::trim_horizon:
      return "TRIM_HORIZON";
    case start_kind::latest:
      return "LATEST";
    case start_kind::at_timestamp:
      return "AT_TIMESTAMP";
    case start_kind::at_sequence_number:
      return "AT_SEQUENCE_NUMBER";
    case start_kind::after_sequence_number:
      return "AFTER_SEQUENCE_NUMBER";
  }
  return "TRIM_HORIZON";
}

void write_tag_list(json_writer& w, const char* name, const std::vector<std::string>& keys) {
  w.key(name).begin_array();
  for (const auto& k : keys) w.string(k);
  w.end_array();
}

void write_tag_map(json_writer& w, const std::map<std::string, std::string>& tags) {
  w.key("Tags").begin_object();
  for (const auto& [k, v] : tags) w.member(k, v);
  w.end_object();
}

class http_client final : public kinesis {
 public:
  explicit http_client(client_options options)
      : options_(resolve_options(std::move(options))), scope_{options_.region, "kinesis"} {
    auto url = parse_endpoint(options_.endpoint);
    if (!url) throw std::invalid_argument(url.err().message);
    transport_ = std::make_unique<transport>(*url, options_);
  }

  // ---- streams ----

  outcome<void> create_stream(const create_stream_request& req) override {
    json_writer w;
    w.begin_object().member("StreamName", req.stream_name);
    if (req.shard_count) w.member("ShardCount", *req.shard_count);
    if (req.on_demand)
      w.key("StreamModeDetails").begin_object().member("StreamMode", "ON_DEMAND").end_object();
    if (!req.tags.empty()) write_tag_map(w, req.tags);
    return discard(call("CreateStream", w.end_object().take()));
  }

  outcome<void> delete_stream(const stream_ref& stream, bool enforce) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    if (enforce) w.key("EnforceConsumerDeletion").boolean(true);
    return discard(call("DeleteStream", w.end_object().take()));
  }

  outcome<stream_description> describe_stream(const stream_ref& stream) override {
    stream_description out;
    std::string start;
    for (;;) {
      json_writer w;
      w.begin_object();
      write_stream(w, stream);
      w.optional_member("ExclusiveStartShardId", start);
      auto body = call("DescribeStream", w.end_object().take());
      if (!body.ok()) return body.err();
      bool more = false;
      auto parsed = parse(*body, [&](element doc) {
        element d = doc["StreamDescription"].value_unsafe();
        read_description(d, out);
        each(d, "Shards", [&](element s) { out.shards.push_back(read_shard(s)); });
        more = boolean(d, "HasMoreShards");
      });
      if (!parsed.ok()) return parsed.err();
      if (!more || out.shards.empty()) return out;
      start = out.shards.back().shard_id;
    }
  }

  outcome<stream_description> describe_stream_summary(const stream_ref& stream) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    stream_description out;
    return parse_call("DescribeStreamSummary", w.end_object().take(), out, [&](element doc) {
      element d = doc["StreamDescriptionSummary"].value_unsafe();
      read_description(d, out);
      out.open_shard_count = static_cast<int>(integer(d, "OpenShardCount"));
      out.consumer_count = static_cast<int>(integer(d, "ConsumerCount"));
    });
  }

  outcome<list_streams_response> list_streams(const list_streams_request& req) override {
    json_writer w;
    w.begin_object();
    if (req.limit) w.member("Limit", *req.limit);
    w.optional_member("ExclusiveStartStreamName", req.exclusive_start_stream_name);
    w.optional_member("NextToken", req.next_token);
    list_streams_response out;
    return parse_call("ListStreams", w.end_object().take(), out, [&](element doc) {
      each(doc, "StreamNames", [&](element n) {
        std::string_view v;
        if (n.get(v) == simdjson::SUCCESS) out.stream_names.emplace_back(v);
      });
      each(doc, "StreamSummaries", [&](element s) {
        stream_summary sum{str(s, "StreamName"), str(s, "StreamARN"), str(s, "StreamStatus"), "",
                           timestamp_ms(s, "StreamCreationTimestamp")};
        element mode;
        if (s["StreamModeDetails"].get(mode) == simdjson::SUCCESS)
          sum.stream_mode = str(mode, "StreamMode");
        out.summaries.push_back(std::move(sum));
      });
      out.has_more = boolean(doc, "HasMoreStreams");
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<list_shards_response> list_shards(const list_shards_request& req) override {
    json_writer w;
    w.begin_object();
    if (!req.next_token.empty()) {
      w.member("NextToken", req.next_token);
    } else {
      write_stream(w, req.stream);
      w.optional_member("ExclusiveStartShardId", req.exclusive_start_shard_id);
    }
    if (req.max_results) w.member("MaxResults", *req.max_results);
    if (!req.filter.empty()) {
      w.key("ShardFilter").begin_object().member("Type", req.filter);
      w.optional_member("ShardId", req.filter_shard_id);
      if (req.filter_timestamp_ms) w.key("Timestamp").number(req.filter_timestamp_ms / 1000.0);
      w.end_object();
    }
    list_shards_response out;
    return parse_call("ListShards", w.end_object().take(), out, [&](element doc) {
      each(doc, "Shards", [&](element s) { out.shards.push_back(read_shard(s)); });
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<limits> describe_limits() override {
    limits out;
    return parse_call("DescribeLimits", "{}", out, [&](element doc) {
      out.shard_limit = static_cast<int>(integer(doc, "ShardLimit"));
      out.open_shard_count = static_cast<int>(integer(doc, "OpenShardCount"));
      out.on_demand_stream_count = static_cast<int>(integer(doc, "OnDemandStreamCount"));
      out.on_demand_stream_count_limit = static_cast<int>(integer(doc, "OnDemandStreamCountLimit"));
    });
  }

  // ---- records ----

  outcome<put_record_response> put_record(const put_record_request& req) override {
    json_writer w;
    w.begin_object();
    write_stream(w, req.stream);
    w.member("PartitionKey", req.partition_key).member("Data", spate::base64::encode(req.data));
    w.optional_member("ExplicitHashKey", req.explicit_hash_key);
    w.optional_member("SequenceNumberForOrdering", req.sequence_number_for_ordering);
    put_record_response out;
    return parse_call("PutRecord", w.end_object().take(), out, [&](element doc) {
      out.shard_id = str(doc, "ShardId");
      out.sequence_number = str(doc, "SequenceNumber");
    });
  }

  outcome<put_records_response> put_records(
      const stream_ref& stream, const std::vector<put_records_entry>& records) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    w.key("Records").begin_array();
    for (const auto& r : records) {
      w.begin_object()
          .member("PartitionKey", r.partition_key)
          .member("Data", spate::base64::encode(r.data));
      w.optional_member("ExplicitHashKey", r.explicit_hash_key);
      w.end_object();
    }
    w.end_array();
    put_records_response out;
    out.records.reserve(records.size());
    return parse_call("PutRecords", w.end_object().take(), out, [&](element doc) {
      out.failed_record_count = static_cast<int>(integer(doc, "FailedRecordCount"));
      each(doc, "Records", [&](element r) {
        out.records.push_back({str(r, "ShardId"), str(r, "SequenceNumber"), str(r, "ErrorCode"),
                               str(r, "ErrorMessage")});
      });
    });
  }

  outcome<std::string> get_shard_iterator(const get_shard_iterator_request& req) override {
    json_writer w;
    w.begin_object();
    write_stream(w, req.stream);
    w.member("ShardId", req.shard_id).member("ShardIteratorType", start_type(req.position.kind));
    w.optional_member("StartingSequenceNumber", req.position.sequence_number);
    if (req.position.kind == start_kind::at_timestamp) {
      w.key("Timestamp").number(req.position.timestamp_ms / 1000.0);
    }
    std::string out;
    return parse_call("GetShardIterator", w.end_object().take(), out,
                      [&](element doc) { out = str(doc, "ShardIterator"); });
  }

  outcome<get_records_response> get_records(const std::string& iterator,
                                            std::optional<int> limit) override {
    json_writer w;
    w.begin_object().member("ShardIterator", iterator);
    if (limit) w.member("Limit", *limit);
    get_records_response out;
    return parse_call("GetRecords", w.end_object().take(), out, [&](element doc) {
      simdjson::dom::array arr;
      if (doc["Records"].get(arr) == simdjson::SUCCESS) {
        out.records.reserve(arr.size());
        for (element r : arr) out.records.push_back(read_record(r));
      }
      out.next_shard_iterator = str(doc, "NextShardIterator");
      out.millis_behind_latest = integer(doc, "MillisBehindLatest");
      out.child_shards = read_children(doc);
    });
  }

  // ---- resharding and settings ----

  outcome<void> split_shard(const split_shard_request& req) override {
    json_writer w;
    w.begin_object();
    write_stream(w, req.stream);
    w.member("ShardToSplit", req.shard_to_split)
        .member("NewStartingHashKey", req.new_starting_hash_key);
    return discard(call("SplitShard", w.end_object().take()));
  }

  outcome<void> merge_shards(const merge_shards_request& req) override {
    json_writer w;
    w.begin_object();
    write_stream(w, req.stream);
    w.member("ShardToMerge", req.shard_to_merge)
        .member("AdjacentShardToMerge", req.adjacent_shard_to_merge);
    return discard(call("MergeShards", w.end_object().take()));
  }

  outcome<update_shard_count_response> update_shard_count(const stream_ref& stream,
                                                          int target) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    w.member("TargetShardCount", target).member("ScalingType", "UNIFORM_SCALING");
    update_shard_count_response out;
    return parse_call("UpdateShardCount", w.end_object().take(), out, [&](element doc) {
      out.current_shard_count = static_cast<int>(integer(doc, "CurrentShardCount"));
      out.target_shard_count = static_cast<int>(integer(doc, "TargetShardCount"));
    });
  }

  outcome<void> update_stream_mode(const std::string& stream_arn, bool on_demand) override {
    json_writer w;
    w.begin_object().member("StreamARN", stream_arn);
    w.key("StreamModeDetails")
        .begin_object()
        .member("StreamMode", on_demand ? "ON_DEMAND" : "PROVISIONED")
        .end_object();
    return discard(call("UpdateStreamMode", w.end_object().take()));
  }

  outcome<void> increase_retention(const stream_ref& stream, int hours) override {
    return retention("IncreaseStreamRetentionPeriod", stream, hours);
  }
  outcome<void> decrease_retention(const stream_ref& stream, int hours) override {
    return retention("DecreaseStreamRetentionPeriod", stream, hours);
  }

  // ---- tags ----

  outcome<void> add_tags(const stream_ref& stream,
                         const std::map<std::string, std::string>& tags) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    write_tag_map(w, tags);
    return discard(call("AddTagsToStream", w.end_object().take()));
  }

  outcome<void> remove_tags(const stream_ref& stream,
                            const std::vector<std::string>& keys) override {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    write_tag_list(w, "TagKeys", keys);
    return discard(call("RemoveTagsFromStream", w.end_object().take()));
  }

  outcome<std::map<std::string, std::string>> list_tags(const stream_ref& stream) override {
    std::map<std::string, std::string> out;
    std::string start;
    for (;;) {
      json_writer w;
      w.begin_object();
      write_stream(w, stream);
      w.optional_member("ExclusiveStartTagKey", start);
      bool more = false;
      auto parsed = parse_call("ListTagsForStream", w.end_object().take(), out, [&](element doc) {
        auto page = read_tags(doc);
        if (!page.empty()) start = page.rbegin()->first;
        out.merge(page);
        more = boolean(doc, "HasMoreTags") && !page.empty();
      });
      if (!parsed.ok() || !more) return parsed;
    }
  }

  outcome<void> tag_resource(const std::string& arn,
                             const std::map<std::string, std::string>& tags) override {
    json_writer w;
    w.begin_object().member("ResourceARN", arn);
    write_tag_map(w, tags);
    return discard(call("TagResource", w.end_object().take()));
  }

  outcome<void> untag_resource(const std::string& arn,
                               const std::vector<std::string>& keys) override {
    json_writer w;
    w.begin_object().member("ResourceARN", arn);
    write_tag_list(w, "TagKeys", keys);
    return discard(call("UntagResource", w.end_object().take()));
  }

  outcome<std::map<std::string, std::string>> list_tags_for_resource(
      const std::string& arn) override {
    json_writer w;
    w.begin_object().member("ResourceARN", arn);
    std::map<std::string, std::string> out;
    return parse_call("ListTagsForResource", w.end_object().take(), out,
                      [&](element doc) { out = read_tags(doc); });
  }

  // ---- enhanced fan-out ----

  outcome<consumer_description> register_consumer(const std::string& stream_arn,
                                                  const std::string& name) override {
    json_writer w;
    w.begin_object().member("StreamARN", stream_arn).member("ConsumerName", name);
    consumer_description out;
    return parse_call("RegisterStreamConsumer", w.end_object().take(), out, [&](element doc) {
      out = read_consumer(doc["Consumer"].value_unsafe());
      if (out.stream_arn.empty()) out.stream_arn = stream_arn;
    });
  }

  outcome<consumer_description> describe_consumer(const std::string& consumer_arn,
                                                  const std::string& stream_arn,
                                                  const std::string& name) override {
    json_writer w;
    w.begin_object();
    w.optional_member("ConsumerARN", consumer_arn).optional_member("StreamARN", stream_arn);
    w.optional_member("ConsumerName", name);
    consumer_description out;
    return parse_call("DescribeStreamConsumer", w.end_object().take(), out, [&](element doc) {
      out = read_consumer(doc["ConsumerDescription"].value_unsafe());
    });
  }

  outcome<list_consumers_response> list_consumers(const std::string& stream_arn,
                                                  const std::string& next_token) override {
    json_writer w;
    w.begin_object();
    if (next_token.empty()) {
      w.member("StreamARN", stream_arn);
    } else {
      w.member("NextToken", next_token);
    }
    list_consumers_response out;
    return parse_call("ListStreamConsumers", w.end_object().take(), out, [&](element doc) {
      each(doc, "Consumers", [&](element c) {
        out.consumers.push_back(read_consumer(c));
        if (out.consumers.back().stream_arn.empty()) out.consumers.back().stream_arn = stream_arn;
      });
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<void> deregister_consumer(const std::string& consumer_arn, const std::string& stream_arn,
                                    const std::string& name) override {
    json_writer w;
    w.begin_object();
    w.optional_member("ConsumerARN", consumer_arn).optional_member("StreamARN", stream_arn);
    w.optional_member("ConsumerName", name);
    return discard(call("DeregisterStreamConsumer", w.end_object().take()));
  }

  outcome<void> subscribe_to_shard(const subscribe_request& req,
                                   const subscribe_handler& on_event) override {
    json_writer w;
    w.begin_object().member("ConsumerARN", req.consumer_arn).member("ShardId", req.shard_id);
    w.key("StartingPosition").begin_object().member("Type", start_type(req.position.kind));
    w.optional_member("SequenceNumber", req.position.sequence_number);
    if (req.position.kind == start_kind::at_timestamp) {
      w.key("Timestamp").number(req.position.timestamp_ms / 1000.0);
    }
    w.end_object();
    http_request request = make_request("SubscribeToShard", w.end_object().take());

    std::string pending;
    std::optional<error> failure;
    bool stopped = false;
    bool cancelled = false;
    auto sink = [&](std::string_view chunk) {
      if (req.cancelled && req.cancelled()) {
        cancelled = true;
        return false;
      }
      pending.append(chunk);
      std::size_t used = 0;
      for (;;) {
        auto decoded = spate::event_stream::decode(std::string_view(pending).substr(used));
        if (decoded.error != spate::event_stream::decode_error::none) {
          failure = error{client_error::bad_response, "malformed event stream message", 200};
          return false;
        }
        if (!decoded.msg) break;
        used += decoded.consumed;
        if (!on_message(*decoded.msg, on_event, failure)) {
          stopped = true;
          break;
        }
      }
      pending.erase(0, used);
      return !stopped;
    };
    auto response = transport_->send_streaming(request, sink, subscription_idle_timeout);
    if (cancelled) return ok_t{};
    if (!response.ok()) return failure ? *failure : response.err();
    if (response->status >= 300) return read_error(response->status, response->body);
    if (failure) return *failure;
    return ok_t{};
  }

 private:
  static bool on_message(const spate::event_stream::message& msg, const subscribe_handler& on_event,
                         std::optional<error>& failure) {
    auto type = msg.get(":message-type");
    if (type && *type == "exception") {
      auto code = msg.get(":exception-type");
      failure = read_error(400, msg.payload);
      if (code) failure->code = std::string(*code);
      return false;
    }
    auto event = msg.get(":event-type");
    if (!event || *event != "SubscribeToShardEvent") return true;  // initial-response
    thread_local simdjson::dom::parser parser;
    element doc;
    if (parser.parse(msg.payload).get(doc) != simdjson::SUCCESS) {
      failure = error{client_error::bad_response, "event payload is not JSON", 200};
      return false;
    }
    subscribe_event ev;
    each(doc, "Records", [&](element r) { ev.records.push_back(read_record(r)); });
    ev.continuation_sequence_number = str(doc, "ContinuationSequenceNumber");
    ev.millis_behind_latest = integer(doc, "MillisBehindLatest");
    ev.child_shards = read_children(doc);
    return on_event(ev);
  }

  static void read_description(element d, stream_description& out) {
    out.stream_name = str(d, "StreamName");
    out.stream_arn = str(d, "StreamARN");
    out.stream_status = str(d, "StreamStatus");
    element mode;
    if (d["StreamModeDetails"].get(mode) == simdjson::SUCCESS)
      out.stream_mode = str(mode, "StreamMode");
    out.retention_hours = static_cast<int>(integer(d, "RetentionPeriodHours"));
    out.created_ms = timestamp_ms(d, "StreamCreationTimestamp");
    out.encryption_type = str(d, "EncryptionType");
  }

  outcome<void> retention(const char* action, const stream_ref& stream, int hours) {
    json_writer w;
    w.begin_object();
    write_stream(w, stream);
    w.member("RetentionPeriodHours", hours);
    return discard(call(action, w.end_object().take()));
  }

  http_request make_request(std::string_view action, std::string body) {
    http_request req;
    req.headers = {{"Content-Type", json_content_type},
                   {"X-Amz-Target", "Kinesis_20131202." + std::string(action)}};
    req.body = std::move(body);
    sign_request(req, transport_->endpoint().host_header, options_.creds, scope_,
                 std::chrono::system_clock::now());
    return req;
  }

  // One action: send, retry while the failure is retryable, return the 2xx body.
  outcome<std::string> call(std::string_view action, std::string body) {
    for (int attempt = 1;; ++attempt) {
      auto response = transport_->send(make_request(action, body));
      error failure;
      if (!response.ok()) {
        failure = response.err();
      } else if (response->status < 300) {
        return std::move(response->body);
      } else {
        failure = read_error(response->status, response->body);
      }
      if (!failure.retryable() || attempt >= options_.retry.max_attempts) return failure;
      std::this_thread::sleep_for(backoff_delay(options_.retry, attempt - 1));
    }
  }

  template <class T, class F>
  outcome<T> parse_call(std::string_view action, std::string body, T& out, F&& read) {
    auto answer = call(action, std::move(body));
    if (!answer.ok()) return answer.err();
    auto parsed = parse(*answer, std::forward<F>(read));
    if (!parsed.ok()) return parsed.err();
    return std::move(out);
  }

  template <class F>
  static outcome<void> parse(const std::string& body, F&& read) {
    thread_local simdjson::dom::parser parser;
    element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      return error{client_error::bad_response, "answer is not a JSON object", 200};
    }
    read(doc);
    return ok_t{};
  }

  static outcome<void> discard(const outcome<std::string>& answer) {
    if (!answer.ok()) return answer.err();
    return ok_t{};
  }

  client_options options_;
  signing_scope scope_;
  std::unique_ptr<transport> transport_;
};

}  // namespace
}  // namespace detail

std::shared_ptr<kinesis> make_client(client_options options) {
  return std::make_shared<detail::http_client>(std::move(options));
}

}  // namespace spate::client
