// Helpers shared by the action handlers: reading typed members, resolving the stream a
// request names (StreamName or StreamARN), lenient shard ids, and the response pieces several
// actions share (a shard's description, epoch-seconds timestamps, tag lists).
#pragma once

#include "api/action.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spate::api::actions {

const std::string* get_string(const value& request, std::string_view name);
std::optional<std::int64_t> get_integer(const value& request, std::string_view name);

// The stream a request is about: StreamName, or the name inside StreamARN; both must agree
// when both are given. Sets `error` and returns nullopt on failure.
std::optional<std::string> resolve_stream(action_context& ctx, const value& request,
                                          api_error& error);

// The stream a request names, described; on failure answers through `respond` and returns
// nullopt.
std::optional<engine::stream_snapshot> describe_requested(action_context& ctx, const value& request,
                                                          const responder& respond);

// Whether `shard` comes after the shard named `exclusive_start` (read leniently, as AWS reads
// shard ids; an id that does not parse is compared as text).
bool shard_after(metadata::shard_index shard, std::string_view exclusive_start);
api_error shard_not_parsed(action_context& ctx, std::string_view shard, std::string_view stream);

// A starting position from its type and the members that go with it (GetShardIterator,
// SubscribeToShard), checked as AWS does: a sequence number exactly with AT_/AFTER_, a
// timestamp (not in the future) with AT_TIMESTAMP.
std::variant<engine::start_request, api_error> requested_start(
    const std::string& type, const std::string* sequence, std::optional<std::int64_t> timestamp);

value shard_description(const engine::stream_snapshot& snap, const metadata::shard_record& shard);
value stream_mode_details(metadata::stream_mode mode);
// EnhancedMonitoring: one entry listing the stream's enabled shard-level metrics.
value enhanced_monitoring(const std::vector<std::string>& shard_level_metrics);
// WarmThroughput: TargetMiBps and CurrentMiBps.
value warm_throughput(const metadata::stream_record& stream);
value tag_list(const std::map<std::string, std::string>& tags);

// AWS's rule on tag characters (kinesis::check_tag_characters); nullopt when every key and
// value is acceptable.
std::optional<api_error> check_tag_characters(const std::vector<std::string_view>& texts);

// Kinesis's record limits (kinesis/limits.h), as the request shapes' bounds: data plus
// partition key, 10 MiB at most (AWS's largest MaxRecordSizeInKiB; a stream's own limit, 1 MiB
// unless UpdateMaxRecordSize raised it, is enforced by engine::put); keys of 1 to 256
// characters; 500 records per PutRecords.
inline constexpr auto max_record_data = static_cast<std::int64_t>(kinesis::max_record_bytes);
inline constexpr auto max_partition_key_chars =
    static_cast<std::int64_t>(kinesis::max_partition_key_length);
inline constexpr auto max_records_per_put =
    static_cast<std::int64_t>(kinesis::put_records_max_entries);

// Reads PartitionKey, ExplicitHashKey and Data of a validated record entry into `out` (views
// into `entry`), checking the hash key's range and the record size.
std::optional<api_error> read_record(const value& entry, storage::record_input& out);
// The same checks on a record already split into its fields.
std::optional<api_error> check_record(std::string_view partition_key,
                                      std::optional<std::string_view> explicit_hash_key,
                                      std::string_view data, storage::record_input& out);

// The stream named by StreamName and/or StreamARN (either may be null); see resolve_stream.
std::optional<std::string> resolve_stream_names(action_context& ctx, const std::string* name,
                                                const std::string* arn, api_error& error);

// Resharding is for PROVISIONED streams only: a ValidationException for ON_DEMAND ones, the
// engine's failure for a missing stream, nullopt otherwise.
std::optional<api_error> require_provisioned(action_context& ctx, const std::string& stream);

// The answer of a handler that has nothing to return (an empty body on the wire).
inline reply no_content() {
  return value::object();
}

}  // namespace spate::api::actions
