// kinesis: the typed Kinesis Data Streams client, one method per action spated serves.
//
// `kinesis` is an interface with two implementations: `make_client()` returns the network
// client (HTTP/1.1 keep-alive pool, TLS for https, SigV4, retries with exponential backoff and
// full jitter on throttling, 5xx and connection failures), which works against spated and AWS
// alike; `fake_stream` (fake_stream.h) is an in-process one for unit tests. The producer,
// consumer and CLI are written against the interface only.
//
// Every method is thread-safe and blocks until the call finished (retries included). Streams
// are named by `stream_name` or `stream_arn` (either one; the ARN wins when both are set).
#pragma once

#include <spate/client/error.h>
#include <spate/client/options.h>
#include <spate/client/record.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spate::client {

struct stream_ref {
  std::string stream_name;
  std::string stream_arn;
};

// ---- streams -----------------------------------------------------------------------------

struct create_stream_request {
  std::string stream_name;
  std::optional<int> shard_count;  // unset: 4 (AWS's default) or on-demand
  bool on_demand = false;
  std::map<std::string, std::string> tags;
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

struct stream_description {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_status;  // CREATING | ACTIVE | UPDATING | DELETING
  std::string stream_mode;    // PROVISIONED | ON_DEMAND
  int retention_hours = 24;
  std::int64_t created_ms = 0;
  std::vector<shard> shards;  // DescribeStream: every page; summary: empty
  int open_shard_count = 0;   // DescribeStreamSummary only
  int consumer_count = 0;     // DescribeStreamSummary only
  std::string encryption_type;
};

struct list_streams_request {
  std::optional<int> limit;
  std::string exclusive_start_stream_name;
  std::string next_token;
};
struct stream_summary {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_status;
  std::string stream_mode;
  std::int64_t created_ms = 0;
};
struct list_streams_response {
  std::vector<std::string> stream_names;
  std::vector<stream_summary> summaries;
  bool has_more = false;
  std::string next_token;
};

// ListShards; `filter` is AWS's ShardFilter type (AT_LATEST, AT_TRIM_HORIZON, FROM_TRIM_HORIZON,
// AFTER_SHARD_ID, AT_TIMESTAMP, FROM_TIMESTAMP) or empty.
struct list_shards_request {
  stream_ref stream;
  std::string next_token;  // when set, `stream` must be empty (AWS's rule)
  std::string exclusive_start_shard_id;
  std::optional<int> max_results;
  std::string filter;
  std::string filter_shard_id;
  std::int64_t filter_timestamp_ms = 0;
};
struct list_shards_response {
  std::vector<shard> shards;
  std::string next_token;
};

struct limits {
  int shard_limit = 0;
  int open_shard_count = 0;
  int on_demand_stream_count = 0;
  int on_demand_stream_count_limit = 0;
};

// ---- records -----------------------------------------------------------------------------

struct put_record_request {
  stream_ref stream;
  std::string partition_key;
  std::string data;  // raw bytes
  std::string explicit_hash_key;
  std::string sequence_number_for_ordering;
};
struct put_record_response {
  std::string shard_id;
  std::string sequence_number;
};

struct put_records_entry {
  std::string partition_key;
  std::string data;
  std::string explicit_hash_key;
};
struct put_records_result_entry {
  std::string shard_id;         // success
  std::string sequence_number;  // success
  std::string error_code;       // failure: ProvisionedThroughputExceededException | InternalFailure
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};
struct put_records_response {
  int failed_record_count = 0;
  std::vector<put_records_result_entry> records;  // one per request entry, same order
};

struct get_shard_iterator_request {
  stream_ref stream;
  std::string shard_id;
  start_position position;
};

struct child_shard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  hash_key_range hash_range;
};

struct get_records_response {
  std::vector<record> records;
  std::string next_shard_iterator;  // empty at the end of a closed shard
  std::int64_t millis_behind_latest = 0;
  std::vector<child_shard> child_shards;  // set at the end of a closed shard
};

// ---- resharding and settings ---------------------------------------------------------------

// The hash key halfway through `range` (rounded down, above the start), for an even split;
// empty if the range is not two decimal keys or holds a single key.
std::string hash_key_midpoint(const hash_key_range& range);

struct split_shard_request {
  stream_ref stream;
  std::string shard_to_split;
  std::string new_starting_hash_key;  // decimal
};
struct merge_shards_request {
  stream_ref stream;
  std::string shard_to_merge;
  std::string adjacent_shard_to_merge;
};
struct update_shard_count_response {
  int current_shard_count = 0;
  int target_shard_count = 0;
};

// ---- enhanced fan-out ----------------------------------------------------------------------

struct consumer_description {
  std::string consumer_name;
  std::string consumer_arn;
  std::string consumer_status;  // CREATING | ACTIVE | DELETING
  std::int64_t created_ms = 0;
  std::string stream_arn;
};
struct list_consumers_response {
  std::vector<consumer_description> consumers;
  std::string next_token;
};

// One SubscribeToShardEvent.
struct subscribe_event {
  std::vector<record> records;
  std::string continuation_sequence_number;  // empty at the end of a closed shard
  std::int64_t millis_behind_latest = 0;
  std::vector<child_shard> child_shards;
};

struct subscribe_request {
  std::string consumer_arn;
  std::string shard_id;
  start_position position;
  // Optional; polled about every 200 ms while no event arrives (heartbeats come only every
  // 5 s): returning true ends the subscription at once, successfully.
  std::function<bool()> cancelled;
};
// Called for each event; return false to end the subscription early.
using subscribe_handler = std::function<bool(const subscribe_event&)>;

// ---- the interface -------------------------------------------------------------------------

class kinesis {
 public:
  virtual ~kinesis() = default;

  virtual outcome<void> create_stream(const create_stream_request& req) = 0;
  virtual outcome<void> delete_stream(const stream_ref& stream, bool enforce_consumer_deletion) = 0;
  // DescribeStream, all shard pages gathered.
  virtual outcome<stream_description> describe_stream(const stream_ref& stream) = 0;
  virtual outcome<stream_description> describe_stream_summary(const stream_ref& stream) = 0;
  virtual outcome<list_streams_response> list_streams(const list_streams_request& req) = 0;
  virtual outcome<list_shards_response> list_shards(const list_shards_request& req) = 0;
  virtual outcome<limits> describe_limits() = 0;

  virtual outcome<put_record_response> put_record(const put_record_request& req) = 0;
  virtual outcome<put_records_response> put_records(
      const stream_ref& stream, const std::vector<put_records_entry>& records) = 0;
  virtual outcome<std::string> get_shard_iterator(const get_shard_iterator_request& req) = 0;
  virtual outcome<get_records_response> get_records(const std::string& shard_iterator,
                                                    std::optional<int> limit) = 0;

  virtual outcome<void> split_shard(const split_shard_request& req) = 0;
  virtual outcome<void> merge_shards(const merge_shards_request& req) = 0;
  virtual outcome<update_shard_count_response> update_shard_count(const stream_ref& stream,
                                                                  int target_shard_count) = 0;
  virtual outcome<void> update_stream_mode(const std::string& stream_arn, bool on_demand) = 0;
  virtual outcome<void> increase_retention(const stream_ref& stream, int hours) = 0;
  virtual outcome<void> decrease_retention(const stream_ref& stream, int hours) = 0;

  virtual outcome<void> add_tags(const stream_ref& stream,
                                 const std::map<std::string, std::string>& tags) = 0;
  virtual outcome<void> remove_tags(const stream_ref& stream,
                                    const std::vector<std::string>& keys) = 0;
  virtual outcome<std::map<std::string, std::string>> list_tags(const stream_ref& stream) = 0;
  virtual outcome<void> tag_resource(const std::string& arn,
                                     const std::map<std::string, std::string>& tags) = 0;
  virtual outcome<void> untag_resource(const std::string& arn,
                                       const std::vector<std::string>& keys) = 0;
  virtual outcome<std::map<std::string, std::string>> list_tags_for_resource(
      const std::string& arn) = 0;

  virtual outcome<consumer_description> register_consumer(const std::string& stream_arn,
                                                          const std::string& consumer_name) = 0;
  // By consumer ARN, or by stream ARN + consumer name.
  virtual outcome<consumer_description> describe_consumer(const std::string& consumer_arn,
                                                          const std::string& stream_arn,
                                                          const std::string& consumer_name) = 0;
  virtual outcome<list_consumers_response> list_consumers(const std::string& stream_arn,
                                                          const std::string& next_token) = 0;
  virtual outcome<void> deregister_consumer(const std::string& consumer_arn,
                                            const std::string& stream_arn,
                                            const std::string& consumer_name) = 0;
  // Blocks while the subscription lasts (AWS ends it after 5 minutes), calling `on_event` for
  // each event; returns the error that ended it, if any.
  virtual outcome<void> subscribe_to_shard(const subscribe_request& req,
                                           const subscribe_handler& on_event) = 0;
};

// The network client. Options are resolved with resolve_options(); an endpoint that is not
// http(s)://host[:port] throws std::invalid_argument.
std::shared_ptr<kinesis> make_client(client_options options = {});

}  // namespace spate::client
