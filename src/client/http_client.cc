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
#include <condition_variable>
#include <mutex>
#include <stdexcept>

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

std::vector<std::string> strings(element el, const char* key) {
  std::vector<std::string> out;
  each(el, key, [&](element item) {
    std::string_view v;
    if (item.get(v) == simdjson::SUCCESS) out.emplace_back(v);
  });
  return out;
}

std::vector<child_shard> read_children(element el) {
  std::vector<child_shard> out;
  each(el, "ChildShards", [&](element c) {
    child_shard child;
    child.shard_id = str(c, "ShardId");
    child.parent_shards = strings(c, "ParentShards");
    child.hash_range = read_range(c);
    out.push_back(std::move(child));
  });
  return out;
}

// An enumeration member; `unknown` (or `fallback`) when absent or spelled in a way this client
// does not know.
template <class E>
E enumeration(element el, const char* key, E fallback = E::unknown) {
  return parse<E>(str(el, key)).value_or(fallback);
}

stream_mode mode_of(element el) {
  element details;
  if (el["StreamModeDetails"].get(details) != simdjson::SUCCESS) return stream_mode::unknown;
  return enumeration<stream_mode>(details, "StreamMode");
}

std::vector<std::string> shard_level_metrics(element el) {
  std::vector<std::string> out;
  each(el, "EnhancedMonitoring", [&](element m) {
    for (auto& metric : strings(m, "ShardLevelMetrics")) out.push_back(std::move(metric));
  });
  return out;
}

// The members StreamDescription and StreamDescriptionSummary share.
template <class Description>
void read_stream_members(element d, Description& s) {
  s.stream_name = str(d, "StreamName");
  s.stream_arn = str(d, "StreamARN");
  s.status = enumeration<stream_status>(d, "StreamStatus");
  s.mode = mode_of(d);
  s.retention_period_hours = static_cast<int>(integer(d, "RetentionPeriodHours"));
  s.created_ms = timestamp_ms(d, "StreamCreationTimestamp");
  s.shard_level_metrics = shard_level_metrics(d);
  s.encryption = enumeration(d, "EncryptionType", encryption_type::none);
  s.key_id = str(d, "KeyId");
}

std::optional<warm_throughput_object> read_warm_throughput(element el) {
  element w;
  if (el["WarmThroughput"].get(w) != simdjson::SUCCESS) return std::nullopt;
  return warm_throughput_object{static_cast<int>(integer(w, "TargetMiBps")),
                                static_cast<int>(integer(w, "CurrentMiBps"))};
}

std::optional<billing_commitment> read_commitment(element el) {
  element c;
  if (el["MinimumThroughputBillingCommitment"].get(c) != simdjson::SUCCESS) return std::nullopt;
  return billing_commitment{enumeration<commitment_status>(c, "Status"),
                            timestamp_ms(c, "StartedAt"), timestamp_ms(c, "EndedAt"),
                            timestamp_ms(c, "EarliestAllowedEndAt")};
}

consumer_description read_consumer(element el) {
  return {str(el, "ConsumerName"), str(el, "ConsumerARN"),
          enumeration<consumer_status>(el, "ConsumerStatus"),
          timestamp_ms(el, "ConsumerCreationTimestamp"), str(el, "StreamARN")};
}

tag_map read_tags(element el) {
  tag_map tags;
  each(el, "Tags", [&](element t) { tags[str(t, "Key")] = str(t, "Value"); });
  return tags;
}

// The error an answer carries: __type without its namespace prefix, the message, and the
// answer's x-amzn-RequestId.
error read_error(int status, std::string_view body, std::string request_id = {}) {
  thread_local simdjson::dom::parser parser;
  std::string type;
  std::string message;
  element doc;
  if (parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS) {
    type = str(doc, "__type");
    message = str(doc, "message");
    if (message.empty()) message = str(doc, "Message");
  }
  if (type.empty()) type = status >= 500 ? "InternalFailure" : "UnknownError";
  if (message.empty()) message = "HTTP " + std::to_string(status);
  error e = error::from_name(type, std::move(message), status);
  e.request_id = std::move(request_id);
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

void write_position(json_writer& w, const char* type_member, const char* sequence_member,
                    const start_position& position) {
  w.member(type_member, to_string(position.type));
  w.optional_member(sequence_member, position.sequence_number);
  if (position.type == shard_iterator_type::at_timestamp) {
    w.key("Timestamp").number(position.timestamp_ms / 1000.0);
  }
}

void write_tag_list(json_writer& w, const char* name, const std::vector<std::string>& keys) {
  w.key(name).begin_array();
  for (const auto& k : keys) w.string(k);
  w.end_array();
}

void write_tag_map(json_writer& w, const tag_map& tags) {
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

  void close() override {
    {
      std::lock_guard lock(closing_mu_);
      closed_ = true;
    }
    closing_cv_.notify_all();
    transport_->close();
  }

  // ---- streams ----

  outcome<create_stream_result> create_stream(const create_stream_request& req) override {
    json_writer w;
    w.begin_object().member("StreamName", req.stream_name);
    if (req.shard_count) w.member("ShardCount", *req.shard_count);
    if (req.mode) {
      w.key("StreamModeDetails").begin_object().member("StreamMode", to_string(*req.mode));
      w.end_object();
    }
    if (!req.tags.empty()) write_tag_map(w, req.tags);
    return empty<create_stream_result>("CreateStream", w);
  }

  outcome<delete_stream_result> delete_stream(const delete_stream_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    if (req.enforce_consumer_deletion) w.key("EnforceConsumerDeletion").boolean(true);
    return empty<delete_stream_result>("DeleteStream", w);
  }

  outcome<describe_stream_result> describe_stream(const describe_stream_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    if (req.limit) w.member("Limit", *req.limit);
    w.optional_member("ExclusiveStartShardId", req.exclusive_start_shard_id);
    describe_stream_result out;
    return parse_call("DescribeStream", w, out, [&](element doc) {
      element d;
      if (doc["StreamDescription"].get(d) != simdjson::SUCCESS) return;
      auto& s = out.description;
      read_stream_members(d, s);
      each(d, "Shards", [&](element sh) { s.shards.push_back(read_shard(sh)); });
      s.has_more_shards = boolean(d, "HasMoreShards");
    });
  }

  outcome<describe_stream_summary_result> describe_stream_summary(
      const describe_stream_summary_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    describe_stream_summary_result out;
    return parse_call("DescribeStreamSummary", w, out, [&](element doc) {
      element d;
      if (doc["StreamDescriptionSummary"].get(d) != simdjson::SUCCESS) return;
      auto& s = out.summary;
      read_stream_members(d, s);
      s.open_shard_count = static_cast<int>(integer(d, "OpenShardCount"));
      s.consumer_count = static_cast<int>(integer(d, "ConsumerCount"));
      s.warm_throughput = read_warm_throughput(d);
      s.max_record_size_kib = static_cast<int>(integer(d, "MaxRecordSizeInKiB"));
    });
  }

  outcome<list_streams_result> list_streams(const list_streams_request& req) override {
    json_writer w;
    w.begin_object();
    if (req.limit) w.member("Limit", *req.limit);
    w.optional_member("ExclusiveStartStreamName", req.exclusive_start_stream_name);
    w.optional_member("NextToken", req.next_token);
    list_streams_result out;
    return parse_call("ListStreams", w, out, [&](element doc) {
      out.stream_names = strings(doc, "StreamNames");
      each(doc, "StreamSummaries", [&](element s) {
        out.stream_summaries.push_back({str(s, "StreamName"), str(s, "StreamARN"),
                                        enumeration<stream_status>(s, "StreamStatus"), mode_of(s),
                                        timestamp_ms(s, "StreamCreationTimestamp")});
      });
      out.has_more_streams = boolean(doc, "HasMoreStreams");
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<list_shards_result> list_shards(const list_shards_request& req) override {
    json_writer w;
    w.begin_object();
    if (!req.next_token.empty()) {
      w.member("NextToken", req.next_token);
    } else {
      write_stream(w, req.stream);
      w.optional_member("ExclusiveStartShardId", req.exclusive_start_shard_id);
    }
    if (req.max_results) w.member("MaxResults", *req.max_results);
    if (req.stream_creation_timestamp_ms) {
      w.key("StreamCreationTimestamp").number(req.stream_creation_timestamp_ms / 1000.0);
    }
    if (req.filter) {
      w.key("ShardFilter").begin_object().member("Type", to_string(req.filter->type));
      w.optional_member("ShardId", req.filter->shard_id);
      if (req.filter->timestamp_ms) w.key("Timestamp").number(req.filter->timestamp_ms / 1000.0);
      w.end_object();
    }
    list_shards_result out;
    return parse_call("ListShards", w, out, [&](element doc) {
      each(doc, "Shards", [&](element s) { out.shards.push_back(read_shard(s)); });
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<describe_limits_result> describe_limits(const describe_limits_request&) override {
    json_writer w;
    w.begin_object();
    describe_limits_result out;
    return parse_call("DescribeLimits", w, out, [&](element doc) {
      out.shard_limit = static_cast<int>(integer(doc, "ShardLimit"));
      out.open_shard_count = static_cast<int>(integer(doc, "OpenShardCount"));
      out.on_demand_stream_count = static_cast<int>(integer(doc, "OnDemandStreamCount"));
      out.on_demand_stream_count_limit = static_cast<int>(integer(doc, "OnDemandStreamCountLimit"));
    });
  }

  // ---- records ----

  outcome<put_record_result> put_record(const put_record_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("PartitionKey", req.partition_key).member("Data", spate::base64::encode(req.data));
    w.optional_member("ExplicitHashKey", req.explicit_hash_key);
    w.optional_member("SequenceNumberForOrdering", req.sequence_number_for_ordering);
    put_record_result out;
    return parse_call("PutRecord", w, out, [&](element doc) {
      out.shard_id = str(doc, "ShardId");
      out.sequence_number = str(doc, "SequenceNumber");
      out.encryption = enumeration(doc, "EncryptionType", encryption_type::none);
    });
  }

  outcome<put_records_result> put_records(const put_records_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.key("Records").begin_array();
    for (const auto& r : req.records) {
      w.begin_object()
          .member("PartitionKey", r.partition_key)
          .member("Data", spate::base64::encode(r.data));
      w.optional_member("ExplicitHashKey", r.explicit_hash_key);
      w.end_object();
    }
    w.end_array();
    put_records_result out;
    out.records.reserve(req.records.size());
    return parse_call("PutRecords", w, out, [&](element doc) {
      out.failed_record_count = static_cast<int>(integer(doc, "FailedRecordCount"));
      each(doc, "Records", [&](element r) {
        put_records_result_entry entry{str(r, "ShardId"), str(r, "SequenceNumber"), {}};
        if (auto code = str(r, "ErrorCode"); !code.empty()) {
          entry.failure = error::from_name(code, str(r, "ErrorMessage"), 200);
        }
        out.records.push_back(std::move(entry));
      });
      out.encryption = enumeration(doc, "EncryptionType", encryption_type::none);
    });
  }

  outcome<get_shard_iterator_result> get_shard_iterator(
      const get_shard_iterator_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("ShardId", req.shard_id);
    write_position(w, "ShardIteratorType", "StartingSequenceNumber", req.position);
    get_shard_iterator_result out;
    return parse_call("GetShardIterator", w, out,
                      [&](element doc) { out.shard_iterator = str(doc, "ShardIterator"); });
  }

  outcome<get_records_result> get_records(const get_records_request& req) override {
    json_writer w;
    w.begin_object().member("ShardIterator", req.shard_iterator);
    if (req.limit) w.member("Limit", *req.limit);
    w.optional_member("StreamARN", req.stream_arn);
    get_records_result out;
    return parse_call("GetRecords", w, out, [&](element doc) {
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

  // ---- resharding ----

  outcome<split_shard_result> split_shard(const split_shard_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("ShardToSplit", req.shard_to_split)
        .member("NewStartingHashKey", req.new_starting_hash_key);
    return empty<split_shard_result>("SplitShard", w);
  }

  outcome<merge_shards_result> merge_shards(const merge_shards_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("ShardToMerge", req.shard_to_merge)
        .member("AdjacentShardToMerge", req.adjacent_shard_to_merge);
    return empty<merge_shards_result>("MergeShards", w);
  }

  outcome<update_shard_count_result> update_shard_count(
      const update_shard_count_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("TargetShardCount", req.target_shard_count)
        .member("ScalingType", to_string(req.scaling));
    update_shard_count_result out;
    return parse_call("UpdateShardCount", w, out, [&](element doc) {
      out.stream_name = str(doc, "StreamName");
      out.stream_arn = str(doc, "StreamARN");
      out.current_shard_count = static_cast<int>(integer(doc, "CurrentShardCount"));
      out.target_shard_count = static_cast<int>(integer(doc, "TargetShardCount"));
    });
  }

  // ---- settings ----

  outcome<update_stream_mode_result> update_stream_mode(
      const update_stream_mode_request& req) override {
    json_writer w;
    w.begin_object().member("StreamARN", req.stream_arn);
    w.key("StreamModeDetails").begin_object().member("StreamMode", to_string(req.mode));
    w.end_object();
    return empty<update_stream_mode_result>("UpdateStreamMode", w);
  }

  outcome<increase_stream_retention_period_result> increase_stream_retention_period(
      const increase_stream_retention_period_request& req) override {
    return retention("IncreaseStreamRetentionPeriod", req);
  }
  outcome<decrease_stream_retention_period_result> decrease_stream_retention_period(
      const decrease_stream_retention_period_request& req) override {
    return retention("DecreaseStreamRetentionPeriod", req);
  }

  outcome<enable_enhanced_monitoring_result> enable_enhanced_monitoring(
      const enable_enhanced_monitoring_request& req) override {
    return monitoring("EnableEnhancedMonitoring", req);
  }
  outcome<disable_enhanced_monitoring_result> disable_enhanced_monitoring(
      const disable_enhanced_monitoring_request& req) override {
    return monitoring("DisableEnhancedMonitoring", req);
  }

  outcome<start_stream_encryption_result> start_stream_encryption(
      const start_stream_encryption_request& req) override {
    return encryption("StartStreamEncryption", req);
  }
  outcome<stop_stream_encryption_result> stop_stream_encryption(
      const stop_stream_encryption_request& req) override {
    return encryption("StopStreamEncryption", req);
  }

  outcome<update_max_record_size_result> update_max_record_size(
      const update_max_record_size_request& req) override {
    json_writer w;
    w.begin_object().member("StreamARN", req.stream_arn);
    w.member("MaxRecordSizeInKiB", req.max_record_size_kib);
    return empty<update_max_record_size_result>("UpdateMaxRecordSize", w);
  }

  outcome<update_stream_warm_throughput_result> update_stream_warm_throughput(
      const update_stream_warm_throughput_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("WarmThroughputMiBps", req.warm_throughput_mibps);
    update_stream_warm_throughput_result out;
    return parse_call("UpdateStreamWarmThroughput", w, out, [&](element doc) {
      out.stream_name = str(doc, "StreamName");
      out.stream_arn = str(doc, "StreamARN");
      out.warm_throughput = read_warm_throughput(doc);
    });
  }

  outcome<describe_account_settings_result> describe_account_settings(
      const describe_account_settings_request&) override {
    json_writer w;
    w.begin_object();
    describe_account_settings_result out;
    return parse_call("DescribeAccountSettings", w, out, [&](element doc) {
      out.minimum_throughput_billing_commitment = read_commitment(doc);
    });
  }

  outcome<update_account_settings_result> update_account_settings(
      const update_account_settings_request& req) override {
    json_writer w;
    w.begin_object().key("MinimumThroughputBillingCommitment").begin_object();
    w.member("Status", to_string(req.minimum_throughput_billing_commitment)).end_object();
    update_account_settings_result out;
    return parse_call("UpdateAccountSettings", w, out, [&](element doc) {
      out.minimum_throughput_billing_commitment = read_commitment(doc);
    });
  }

  // ---- resource policies ----

  outcome<put_resource_policy_result> put_resource_policy(
      const put_resource_policy_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn).member("Policy", req.policy);
    return empty<put_resource_policy_result>("PutResourcePolicy", w);
  }

  outcome<get_resource_policy_result> get_resource_policy(
      const get_resource_policy_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn);
    get_resource_policy_result out;
    return parse_call("GetResourcePolicy", w, out,
                      [&](element doc) { out.policy = str(doc, "Policy"); });
  }

  outcome<delete_resource_policy_result> delete_resource_policy(
      const delete_resource_policy_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn);
    return empty<delete_resource_policy_result>("DeleteResourcePolicy", w);
  }

  // ---- tags ----

  outcome<add_tags_to_stream_result> add_tags_to_stream(
      const add_tags_to_stream_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    write_tag_map(w, req.tags);
    return empty<add_tags_to_stream_result>("AddTagsToStream", w);
  }

  outcome<remove_tags_from_stream_result> remove_tags_from_stream(
      const remove_tags_from_stream_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    write_tag_list(w, "TagKeys", req.tag_keys);
    return empty<remove_tags_from_stream_result>("RemoveTagsFromStream", w);
  }

  outcome<list_tags_for_stream_result> list_tags_for_stream(
      const list_tags_for_stream_request& req) override {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.optional_member("ExclusiveStartTagKey", req.exclusive_start_tag_key);
    if (req.limit) w.member("Limit", *req.limit);
    list_tags_for_stream_result out;
    return parse_call("ListTagsForStream", w, out, [&](element doc) {
      out.tags = read_tags(doc);
      out.has_more_tags = boolean(doc, "HasMoreTags");
    });
  }

  outcome<tag_resource_result> tag_resource(const tag_resource_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn);
    write_tag_map(w, req.tags);
    return empty<tag_resource_result>("TagResource", w);
  }

  outcome<untag_resource_result> untag_resource(const untag_resource_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn);
    write_tag_list(w, "TagKeys", req.tag_keys);
    return empty<untag_resource_result>("UntagResource", w);
  }

  outcome<list_tags_for_resource_result> list_tags_for_resource(
      const list_tags_for_resource_request& req) override {
    json_writer w;
    w.begin_object().member("ResourceARN", req.resource_arn);
    list_tags_for_resource_result out;
    return parse_call("ListTagsForResource", w, out,
                      [&](element doc) { out.tags = read_tags(doc); });
  }

  // ---- enhanced fan-out ----

  outcome<register_stream_consumer_result> register_stream_consumer(
      const register_stream_consumer_request& req) override {
    json_writer w;
    w.begin_object().member("StreamARN", req.stream_arn).member("ConsumerName", req.consumer_name);
    register_stream_consumer_result out;
    return parse_call("RegisterStreamConsumer", w, out, [&](element doc) {
      element c;
      if (doc["Consumer"].get(c) == simdjson::SUCCESS) out.consumer = read_consumer(c);
      if (out.consumer.stream_arn.empty()) out.consumer.stream_arn = req.stream_arn;
    });
  }

  outcome<describe_stream_consumer_result> describe_stream_consumer(
      const describe_stream_consumer_request& req) override {
    json_writer w;
    write_consumer(w.begin_object(), req.consumer_arn, req.stream_arn, req.consumer_name);
    describe_stream_consumer_result out;
    return parse_call("DescribeStreamConsumer", w, out, [&](element doc) {
      element c;
      if (doc["ConsumerDescription"].get(c) == simdjson::SUCCESS) {
        out.consumer = read_consumer(c);
      }
    });
  }

  outcome<list_stream_consumers_result> list_stream_consumers(
      const list_stream_consumers_request& req) override {
    json_writer w;
    w.begin_object();
    if (req.next_token.empty()) {
      w.member("StreamARN", req.stream_arn);
    } else {
      w.member("NextToken", req.next_token);
    }
    if (req.max_results) w.member("MaxResults", *req.max_results);
    if (req.stream_creation_timestamp_ms) {
      w.key("StreamCreationTimestamp").number(req.stream_creation_timestamp_ms / 1000.0);
    }
    list_stream_consumers_result out;
    return parse_call("ListStreamConsumers", w, out, [&](element doc) {
      each(doc, "Consumers", [&](element c) {
        out.consumers.push_back(read_consumer(c));
        if (out.consumers.back().stream_arn.empty())
          out.consumers.back().stream_arn = req.stream_arn;
      });
      out.next_token = str(doc, "NextToken");
    });
  }

  outcome<deregister_stream_consumer_result> deregister_stream_consumer(
      const deregister_stream_consumer_request& req) override {
    json_writer w;
    write_consumer(w.begin_object(), req.consumer_arn, req.stream_arn, req.consumer_name);
    return empty<deregister_stream_consumer_result>("DeregisterStreamConsumer", w);
  }

  outcome<subscribe_to_shard_result> subscribe_to_shard(
      const subscribe_to_shard_request& req) override {
    json_writer w;
    w.begin_object().member("ConsumerARN", req.consumer_arn).member("ShardId", req.shard_id);
    w.key("StartingPosition").begin_object();
    write_position(w, "Type", "SequenceNumber", req.starting_position);
    w.end_object();
    http_request request = make_request("SubscribeToShard", w.end_object().take());

    subscribe_to_shard_result out;
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
          failure = error{error_code::bad_response, "malformed event stream message", 200};
          return false;
        }
        if (!decoded.msg) break;
        used += decoded.consumed;
        if (!on_message(*decoded.msg, req, out, failure)) {
          stopped = true;
          break;
        }
      }
      pending.erase(0, used);
      return !stopped;
    };
    auto response = transport_->send_streaming(request, sink, subscription_idle_timeout);
    if (cancelled) return out;
    if (!response.ok()) return failure ? *failure : response.err();
    if (response->status >= 300)
      return read_error(response->status, response->body, response->header("x-amzn-RequestId"));
    if (failure) return *failure;
    return out;
  }

 private:
  // One event-stream message: an event for `req.on_event`, the initial response (skipped) or
  // an exception (into `failure`). False ends the subscription.
  static bool on_message(const spate::event_stream::message& msg,
                         const subscribe_to_shard_request& req, subscribe_to_shard_result& out,
                         std::optional<error>& failure) {
    auto type = msg.get(":message-type");
    if (type && *type == "exception") {
      failure = read_error(400, msg.payload);
      // The exception's type header names it; the payload's __type, if any, only when absent.
      if (auto code = msg.get(":exception-type")) {
        failure = error::from_name(*code, std::move(failure->message), 400);
      }
      return false;
    }
    auto event = msg.get(":event-type");
    if (!event || *event != "SubscribeToShardEvent") return true;  // initial-response
    thread_local simdjson::dom::parser parser;
    element doc;
    if (parser.parse(msg.payload).get(doc) != simdjson::SUCCESS) {
      failure = error{error_code::bad_response, "event payload is not JSON", 200};
      return false;
    }
    subscribe_to_shard_event ev;
    each(doc, "Records", [&](element r) { ev.records.push_back(read_record(r)); });
    ev.continuation_sequence_number = str(doc, "ContinuationSequenceNumber");
    ev.millis_behind_latest = integer(doc, "MillisBehindLatest");
    ev.child_shards = read_children(doc);
    ++out.events;
    return !req.on_event || req.on_event(ev);
  }

  static void write_consumer(json_writer& w, const std::string& consumer_arn,
                             const std::string& stream_arn, const std::string& consumer_name) {
    w.optional_member("ConsumerARN", consumer_arn).optional_member("StreamARN", stream_arn);
    w.optional_member("ConsumerName", consumer_name);
  }

  outcome<decrease_stream_retention_period_result> retention(
      const char* action, const decrease_stream_retention_period_request& req) {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("RetentionPeriodHours", req.retention_period_hours);
    return empty<decrease_stream_retention_period_result>(action, w);
  }

  outcome<disable_enhanced_monitoring_result> monitoring(
      const char* action, const disable_enhanced_monitoring_request& req) {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    write_tag_list(w, "ShardLevelMetrics", req.shard_level_metrics);
    disable_enhanced_monitoring_result out;
    return parse_call(action, w, out, [&](element doc) {
      out.stream_name = str(doc, "StreamName");
      out.stream_arn = str(doc, "StreamARN");
      out.current_shard_level_metrics = strings(doc, "CurrentShardLevelMetrics");
      out.desired_shard_level_metrics = strings(doc, "DesiredShardLevelMetrics");
    });
  }

  outcome<start_stream_encryption_result> encryption(const char* action,
                                                     const start_stream_encryption_request& req) {
    json_writer w;
    write_stream(w.begin_object(), req.stream);
    w.member("EncryptionType", to_string(req.encryption)).member("KeyId", req.key_id);
    return empty<start_stream_encryption_result>(action, w);
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
        failure =
            read_error(response->status, response->body, response->header("x-amzn-RequestId"));
      }
      if (!failure.retryable() || attempt >= options_.retry.max_attempts) return failure;
      if (!pause_before_retry(backoff_delay(options_.retry, attempt - 1))) {
        return client_closed();
      }
    }
  }

  // Waits out a retry's backoff; false if close() ended the wait.
  bool pause_before_retry(std::chrono::milliseconds delay) {
    std::unique_lock lock(closing_mu_);
    return !closing_cv_.wait_for(lock, delay, [&] { return closed_; });
  }

  // An action whose answer is decoded by `read` into `out`; `w` holds the open request object.
  template <class T, class F>
  outcome<T> parse_call(std::string_view action, json_writer& w, T& out, F&& read) {
    auto answer = call(action, w.end_object().take());
    if (!answer.ok()) return answer.err();
    auto parsed = parse(*answer, std::forward<F>(read));
    if (!parsed.ok()) return parsed.err();
    return std::move(out);
  }

  // An action AWS answers with an empty object.
  template <class T>
  outcome<T> empty(std::string_view action, json_writer& w) {
    auto answer = call(action, w.end_object().take());
    if (!answer.ok()) return answer.err();
    return T{};
  }

  template <class F>
  static outcome<void> parse(const std::string& body, F&& read) {
    thread_local simdjson::dom::parser parser;
    element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      return error{error_code::bad_response, "answer is not a JSON object", 200};
    }
    read(doc);
    return ok_t{};
  }

  client_options options_;
  signing_scope scope_;
  std::unique_ptr<transport> transport_;
  std::mutex closing_mu_;
  std::condition_variable closing_cv_;
  bool closed_ = false;  // guarded by closing_mu_
};

}  // namespace
}  // namespace detail

std::shared_ptr<kinesis> make_client(client_options options) {
  return std::make_shared<detail::http_client>(std::move(options));
}

}  // namespace spate::client
