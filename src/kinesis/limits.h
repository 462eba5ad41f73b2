// limits: the numbers of Kinesis Data Streams that spated and the client's fake_stream both
// enforce, as AWS documents them (the API reference's member constraints and the service quotas
// page). The request-shape bounds (string lengths, list sizes) that only the server's schema
// checks are written there, in api/schema and the action files; every limit that decides an
// answer past validation, or that the fake applies too, is here and nowhere else.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spate::kinesis {

// ---- streams and shards --------------------------------------------------------------------
inline constexpr std::uint32_t default_shard_count = 4;       // CreateStream without ShardCount
inline constexpr std::uint32_t on_demand_initial_shards = 4;  // a new ON_DEMAND stream
inline constexpr std::uint32_t default_account_shard_limit = 500;  // open shards, all streams
// The largest ShardCount (CreateStream) and TargetShardCount (UpdateShardCount) a request may
// name, as the API model bounds them (the account's limit refuses far fewer).
inline constexpr std::int64_t max_requested_shard_count = 100000;
inline constexpr std::size_t default_on_demand_stream_limit = 50;  // ON_DEMAND streams
inline constexpr std::size_t max_name_length = 128;                // stream and consumer names

// ---- retention ------------------------------------------------------------------------------
inline constexpr int default_retention_hours = 24;
inline constexpr int min_retention_hours = 24;
inline constexpr int max_retention_hours = 8760;  // 365 days

// ---- records ------------------------------------------------------------------------------
inline constexpr std::size_t max_partition_key_length = 256;  // characters
// Data plus partition key: a stream takes 1 MiB unless UpdateMaxRecordSize raised it, up to
// 10 MiB (MaxRecordSizeInKiB 1024..10240).
inline constexpr int min_record_size_kib = 1024;
inline constexpr int max_record_size_kib = 10240;
inline constexpr std::size_t max_record_bytes = std::size_t{max_record_size_kib} << 10;
inline constexpr std::size_t default_record_bytes = std::size_t{min_record_size_kib} << 10;
inline constexpr std::size_t put_records_max_entries = 500;
inline constexpr std::size_t put_records_max_bytes = 10u << 20;  // data plus keys, per request
inline constexpr std::size_t get_records_max_records = 10000;    // GetRecords Limit
inline constexpr std::size_t get_records_max_bytes = 10u << 20;  // per GetRecords answer

// ---- tags ---------------------------------------------------------------------------------
inline constexpr std::size_t tags_per_stream = 50;
inline constexpr std::size_t tags_per_call = 200;     // AddTagsToStream, TagResource
inline constexpr std::size_t tag_keys_per_call = 50;  // RemoveTagsFromStream, UntagResource
inline constexpr std::size_t tag_key_max_length = 128;
inline constexpr std::size_t tag_value_max_length = 256;

// ---- enhanced fan-out ---------------------------------------------------------------------
inline constexpr std::size_t consumers_per_stream = 20;
inline constexpr std::size_t consumers_creating_at_once = 5;

// ---- pages: what one List*/Describe* call returns at most ----------------------------------
inline constexpr std::size_t max_results_limit = 10000;  // the largest Limit/MaxResults accepted
inline constexpr std::size_t list_shards_page = 1000;
inline constexpr std::size_t list_streams_page = 100;
inline constexpr std::size_t describe_stream_page = 100;
inline constexpr std::size_t list_consumers_page = 100;
inline constexpr std::size_t list_tags_page = 50;

}  // namespace spate::kinesis
