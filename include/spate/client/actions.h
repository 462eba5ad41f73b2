// actions: one request and one result structure per Kinesis Data Streams action, 39 pairs, in
// the order of the AWS API reference, with the members spated serves. A field is the action's
// member of the same name in snake_case; an optional member is an empty string, an empty container,
// 0 or nullopt when not sent. Actions AWS answers with an empty body still have a result structure,
// so a field AWS adds later is not a breaking change.
#pragma once

#include <spate/client/error.h>
#include <spate/client/model.h>
#include <spate/client/record.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spate::client {

using tag_map = std::map<std::string, std::string>;

// ---- AddTagsToStream ---------------------------------------------------------------------
struct add_tags_to_stream_request {
  stream_ref stream;
  tag_map tags;
};
struct add_tags_to_stream_result {};

// ---- CreateStream ------------------------------------------------------------------------
struct create_stream_request {
  std::string stream_name;
  std::optional<int> shard_count;   // unset: 4 (AWS's default) when provisioned
  std::optional<stream_mode> mode;  // unset: provisioned
  tag_map tags;
};
struct create_stream_result {};

// ---- DecreaseStreamRetentionPeriod / IncreaseStreamRetentionPeriod -------------------------
struct decrease_stream_retention_period_request {
  stream_ref stream;
  int retention_period_hours = 24;
};
struct decrease_stream_retention_period_result {};

// ---- DeleteResourcePolicy ----------------------------------------------------------------
struct delete_resource_policy_request {
  std::string resource_arn;  // a stream's or a consumer's ARN
};
struct delete_resource_policy_result {};

// ---- DeleteStream ------------------------------------------------------------------------
struct delete_stream_request {
  stream_ref stream;
  bool enforce_consumer_deletion = false;
};
struct delete_stream_result {};

// ---- DeregisterStreamConsumer (by consumer ARN, or stream ARN + consumer name) -------------
struct deregister_stream_consumer_request {
  std::string stream_arn;
  std::string consumer_name;
  std::string consumer_arn;
};
struct deregister_stream_consumer_result {};

// ---- DescribeAccountSettings -------------------------------------------------------------
struct describe_account_settings_request {};
struct describe_account_settings_result {
  std::optional<billing_commitment> minimum_throughput_billing_commitment;
};

// ---- DescribeLimits ----------------------------------------------------------------------
struct describe_limits_request {};
struct describe_limits_result {
  int shard_limit = 0;
  int open_shard_count = 0;
  int on_demand_stream_count = 0;
  int on_demand_stream_count_limit = 0;
};

// ---- DescribeStream (one page of shards; describe_stream_all() gathers every page) ---------
struct describe_stream_request {
  stream_ref stream;
  std::optional<int> limit;
  std::string exclusive_start_shard_id;
};
struct stream_description {
  std::string stream_name;
  std::string stream_arn;
  stream_status status = stream_status::unknown;
  stream_mode mode = stream_mode::unknown;
  std::vector<shard> shards;
  bool has_more_shards = false;
  int retention_period_hours = 0;
  std::int64_t created_ms = 0;
  std::vector<std::string> shard_level_metrics;  // EnhancedMonitoring
  encryption_type encryption = encryption_type::none;
  std::string key_id;
};
struct describe_stream_result {
  stream_description description;  // StreamDescription
};

// ---- DescribeStreamConsumer (by consumer ARN, or stream ARN + consumer name) ---------------
struct describe_stream_consumer_request {
  std::string stream_arn;
  std::string consumer_name;
  std::string consumer_arn;
};
struct describe_stream_consumer_result {
  consumer_description consumer;  // ConsumerDescription
};

// ---- DescribeStreamSummary -----------------------------------------------------------------
struct describe_stream_summary_request {
  stream_ref stream;
};
struct stream_description_summary {
  std::string stream_name;
  std::string stream_arn;
  stream_status status = stream_status::unknown;
  stream_mode mode = stream_mode::unknown;
  int retention_period_hours = 0;
  std::int64_t created_ms = 0;
  std::vector<std::string> shard_level_metrics;
  encryption_type encryption = encryption_type::none;
  std::string key_id;
  int open_shard_count = 0;
  int consumer_count = 0;
  std::optional<warm_throughput_object> warm_throughput;
  int max_record_size_kib = 0;
};
struct describe_stream_summary_result {
  stream_description_summary summary;  // StreamDescriptionSummary
};

// ---- DisableEnhancedMonitoring / EnableEnhancedMonitoring ----------------------------------
struct disable_enhanced_monitoring_request {
  stream_ref stream;
  std::vector<std::string> shard_level_metrics;  // "IncomingBytes", ..., or "ALL"
};
struct disable_enhanced_monitoring_result {
  std::string stream_name;
  std::string stream_arn;
  std::vector<std::string> current_shard_level_metrics;
  std::vector<std::string> desired_shard_level_metrics;
};
using enable_enhanced_monitoring_request = disable_enhanced_monitoring_request;
using enable_enhanced_monitoring_result = disable_enhanced_monitoring_result;

// ---- GetRecords --------------------------------------------------------------------------
struct get_records_request {
  std::string shard_iterator;
  std::optional<int> limit;
  std::string stream_arn;
};
struct get_records_result {
  std::vector<record> records;
  std::string next_shard_iterator;  // empty at the end of a closed shard
  std::int64_t millis_behind_latest = 0;
  std::vector<child_shard> child_shards;  // set at the end of a closed shard
};

// ---- GetResourcePolicy -------------------------------------------------------------------
struct get_resource_policy_request {
  std::string resource_arn;
};
struct get_resource_policy_result {
  std::string policy;  // JSON text; "{}" when the resource has none
};

// ---- GetShardIterator --------------------------------------------------------------------
struct get_shard_iterator_request {
  stream_ref stream;
  std::string shard_id;
  start_position position;  // ShardIteratorType with its StartingSequenceNumber or Timestamp
};
struct get_shard_iterator_result {
  std::string shard_iterator;
};

// ---- IncreaseStreamRetentionPeriod -------------------------------------------------------
using increase_stream_retention_period_request = decrease_stream_retention_period_request;
using increase_stream_retention_period_result = decrease_stream_retention_period_result;

// ---- ListShards --------------------------------------------------------------------------
struct shard_filter {
  shard_filter_type type = shard_filter_type::from_trim_horizon;
  std::string shard_id;           // for after_shard_id
  std::int64_t timestamp_ms = 0;  // for at_timestamp and from_timestamp
};
struct list_shards_request {
  stream_ref stream;
  std::string next_token;  // when set, `stream` must be empty (AWS's rule)
  std::string exclusive_start_shard_id;
  std::optional<int> max_results;
  std::int64_t stream_creation_timestamp_ms = 0;
  std::optional<shard_filter> filter;
};
struct list_shards_result {
  std::vector<shard> shards;
  std::string next_token;
};

// ---- ListStreamConsumers -----------------------------------------------------------------
struct list_stream_consumers_request {
  std::string stream_arn;
  std::string next_token;
  std::optional<int> max_results;
  std::int64_t stream_creation_timestamp_ms = 0;
};
struct list_stream_consumers_result {
  std::vector<consumer_description> consumers;
  std::string next_token;
};

// ---- ListStreams -------------------------------------------------------------------------
struct list_streams_request {
  std::optional<int> limit;
  std::string exclusive_start_stream_name;
  std::string next_token;
};
struct stream_summary {
  std::string stream_name;
  std::string stream_arn;
  stream_status status = stream_status::unknown;
  stream_mode mode = stream_mode::unknown;
  std::int64_t created_ms = 0;
};
struct list_streams_result {
  std::vector<std::string> stream_names;
  bool has_more_streams = false;
  std::string next_token;
  std::vector<stream_summary> stream_summaries;
};

// ---- ListTagsForResource -----------------------------------------------------------------
struct list_tags_for_resource_request {
  std::string resource_arn;
};
struct list_tags_for_resource_result {
  tag_map tags;
};

// ---- ListTagsForStream (one page; list_tags_for_stream_all() gathers every page) -----------
struct list_tags_for_stream_request {
  stream_ref stream;
  std::string exclusive_start_tag_key;
  std::optional<int> limit;
};
struct list_tags_for_stream_result {
  tag_map tags;
  bool has_more_tags = false;
};

// ---- MergeShards -------------------------------------------------------------------------
struct merge_shards_request {
  stream_ref stream;
  std::string shard_to_merge;
  std::string adjacent_shard_to_merge;
};
struct merge_shards_result {};

// ---- PutRecord ---------------------------------------------------------------------------
struct put_record_request {
  stream_ref stream;
  std::string partition_key;
  std::string data;  // raw bytes
  std::string explicit_hash_key;
  std::string sequence_number_for_ordering;
};
struct put_record_result {
  std::string shard_id;
  std::string sequence_number;
  encryption_type encryption = encryption_type::none;
};

// ---- PutRecords --------------------------------------------------------------------------
struct put_records_entry {
  std::string partition_key;
  std::string data;  // raw bytes
  std::string explicit_hash_key;
};
struct put_records_request {
  stream_ref stream;
  std::vector<put_records_entry> records;
};
struct put_records_result_entry {
  std::string shard_id;         // success
  std::string sequence_number;  // success
  // The entry's ErrorCode and ErrorMessage when it failed: provisioned_throughput_exceeded or
  // internal_failure (http_status is the call's, 200).
  std::optional<error> failure;
  bool ok() const { return !failure; }
};
struct put_records_result {
  int failed_record_count = 0;
  std::vector<put_records_result_entry> records;  // one per request entry, same order
  encryption_type encryption = encryption_type::none;
};

// ---- PutResourcePolicy -------------------------------------------------------------------
struct put_resource_policy_request {
  std::string resource_arn;
  std::string policy;  // JSON text
};
struct put_resource_policy_result {};

// ---- RegisterStreamConsumer --------------------------------------------------------------
struct register_stream_consumer_request {
  std::string stream_arn;
  std::string consumer_name;
};
struct register_stream_consumer_result {
  consumer_description consumer;
};

// ---- RemoveTagsFromStream ----------------------------------------------------------------
struct remove_tags_from_stream_request {
  stream_ref stream;
  std::vector<std::string> tag_keys;
};
struct remove_tags_from_stream_result {};

// ---- SplitShard --------------------------------------------------------------------------
struct split_shard_request {
  stream_ref stream;
  std::string shard_to_split;
  std::string new_starting_hash_key;  // decimal; hash_key_midpoint() for an even split
};
struct split_shard_result {};

// ---- StartStreamEncryption / StopStreamEncryption ----------------------------------------
struct start_stream_encryption_request {
  stream_ref stream;
  encryption_type encryption = encryption_type::kms;
  std::string key_id;
};
struct start_stream_encryption_result {};
using stop_stream_encryption_request = start_stream_encryption_request;
using stop_stream_encryption_result = start_stream_encryption_result;

// ---- SubscribeToShard --------------------------------------------------------------------
// One SubscribeToShardEvent.
struct subscribe_to_shard_event {
  std::vector<record> records;
  std::string continuation_sequence_number;  // empty at the end of a closed shard
  std::int64_t millis_behind_latest = 0;
  std::vector<child_shard> child_shards;
};
struct subscribe_to_shard_request {
  std::string consumer_arn;
  std::string shard_id;
  start_position starting_position;
  // Called for each event; return false to end the subscription early, successfully.
  std::function<bool(const subscribe_to_shard_event&)> on_event;
  // Optional; polled about every 200 ms while no event arrives (heartbeats come only every
  // 5 s): returning true ends the subscription at once, successfully.
  std::function<bool()> cancelled;
};
struct subscribe_to_shard_result {
  int events = 0;  // SubscribeToShardEvents delivered to on_event
};

// ---- TagResource / UntagResource ---------------------------------------------------------
struct tag_resource_request {
  std::string resource_arn;
  tag_map tags;
};
struct tag_resource_result {};
struct untag_resource_request {
  std::string resource_arn;
  std::vector<std::string> tag_keys;
};
struct untag_resource_result {};

// ---- UpdateAccountSettings ---------------------------------------------------------------
struct update_account_settings_request {
  commitment_status minimum_throughput_billing_commitment = commitment_status::enabled;
};
struct update_account_settings_result {
  std::optional<billing_commitment> minimum_throughput_billing_commitment;
};

// ---- UpdateMaxRecordSize -----------------------------------------------------------------
struct update_max_record_size_request {
  std::string stream_arn;
  int max_record_size_kib = 1024;
};
struct update_max_record_size_result {};

// ---- UpdateShardCount --------------------------------------------------------------------
struct update_shard_count_request {
  stream_ref stream;
  int target_shard_count = 0;
  scaling_type scaling = scaling_type::uniform_scaling;
};
struct update_shard_count_result {
  std::string stream_name;
  std::string stream_arn;
  int current_shard_count = 0;
  int target_shard_count = 0;
};

// ---- UpdateStreamMode --------------------------------------------------------------------
struct update_stream_mode_request {
  std::string stream_arn;
  stream_mode mode = stream_mode::provisioned;
};
struct update_stream_mode_result {};

// ---- UpdateStreamWarmThroughput ----------------------------------------------------------
struct update_stream_warm_throughput_request {
  stream_ref stream;
  int warm_throughput_mibps = 0;
};
struct update_stream_warm_throughput_result {
  std::string stream_name;
  std::string stream_arn;
  std::optional<warm_throughput_object> warm_throughput;
};

}  // namespace spate::client
