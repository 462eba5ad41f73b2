// described: Boost.Describe member lists for the client's request, result and model
// structures, so conversions.h converts each one to and from Python generically instead of
// member by member. One line per structure of include/spate/client/{model,record,actions}.h;
// a member missing here is a member Python can neither set nor see, so a structure that gains
// one gains it here too.
// Left out on purpose, converted by hand in conversions.h: start_position,
// put_records_result_entry (its failure is an error value) and subscribe_to_shard_request
// (its members are callbacks).
#pragma once

#include <spate/client/actions.h>

#include <boost/describe.hpp>

namespace spate::client {

BOOST_DESCRIBE_STRUCT(stream_ref, (), (stream_name, stream_arn))
BOOST_DESCRIBE_STRUCT(hash_key_range, (), (starting_hash_key, ending_hash_key))
BOOST_DESCRIBE_STRUCT(shard, (),
                      (shard_id, parent_shard_id, adjacent_parent_shard_id, hash_range,
                       starting_sequence_number, ending_sequence_number))
BOOST_DESCRIBE_STRUCT(child_shard, (), (shard_id, parent_shards, hash_range))
BOOST_DESCRIBE_STRUCT(warm_throughput_object, (), (target_mibps, current_mibps))
BOOST_DESCRIBE_STRUCT(consumer_description, (),
                      (consumer_name, consumer_arn, status, created_ms, stream_arn))
BOOST_DESCRIBE_STRUCT(billing_commitment, (),
                      (status, started_ms, ended_ms, earliest_allowed_end_ms))
BOOST_DESCRIBE_STRUCT(record, (),
                      (sequence_number, partition_key, data, arrival_ms, explicit_hash_key,
                       sub_sequence, aggregated))
BOOST_DESCRIBE_STRUCT(add_tags_to_stream_request, (), (stream, tags))
BOOST_DESCRIBE_STRUCT(create_stream_request, (), (stream_name, shard_count, mode, tags))
BOOST_DESCRIBE_STRUCT(decrease_stream_retention_period_request, (),
                      (stream, retention_period_hours))
BOOST_DESCRIBE_STRUCT(delete_resource_policy_request, (), (resource_arn))
BOOST_DESCRIBE_STRUCT(delete_stream_request, (), (stream, enforce_consumer_deletion))
BOOST_DESCRIBE_STRUCT(deregister_stream_consumer_request, (),
                      (stream_arn, consumer_name, consumer_arn))
BOOST_DESCRIBE_STRUCT(describe_account_settings_result, (), (minimum_throughput_billing_commitment))
BOOST_DESCRIBE_STRUCT(describe_limits_result, (),
                      (shard_limit, open_shard_count, on_demand_stream_count,
                       on_demand_stream_count_limit))
BOOST_DESCRIBE_STRUCT(describe_stream_request, (), (stream, limit, exclusive_start_shard_id))
BOOST_DESCRIBE_STRUCT(stream_description, (),
                      (stream_name, stream_arn, status, mode, shards, has_more_shards,
                       retention_period_hours, created_ms, shard_level_metrics, encryption, key_id))
BOOST_DESCRIBE_STRUCT(describe_stream_result, (), (description))
BOOST_DESCRIBE_STRUCT(describe_stream_consumer_request, (),
                      (stream_arn, consumer_name, consumer_arn))
BOOST_DESCRIBE_STRUCT(describe_stream_consumer_result, (), (consumer))
BOOST_DESCRIBE_STRUCT(describe_stream_summary_request, (), (stream))
BOOST_DESCRIBE_STRUCT(stream_description_summary, (),
                      (stream_name, stream_arn, status, mode, retention_period_hours, created_ms,
                       shard_level_metrics, encryption, key_id, open_shard_count, consumer_count,
                       warm_throughput, max_record_size_kib))
BOOST_DESCRIBE_STRUCT(describe_stream_summary_result, (), (summary))
BOOST_DESCRIBE_STRUCT(disable_enhanced_monitoring_request, (), (stream, shard_level_metrics))
BOOST_DESCRIBE_STRUCT(disable_enhanced_monitoring_result, (),
                      (stream_name, stream_arn, current_shard_level_metrics,
                       desired_shard_level_metrics))
BOOST_DESCRIBE_STRUCT(get_records_request, (), (shard_iterator, limit, stream_arn))
BOOST_DESCRIBE_STRUCT(get_records_result, (),
                      (records, next_shard_iterator, millis_behind_latest, child_shards))
BOOST_DESCRIBE_STRUCT(get_resource_policy_request, (), (resource_arn))
BOOST_DESCRIBE_STRUCT(get_resource_policy_result, (), (policy))
BOOST_DESCRIBE_STRUCT(get_shard_iterator_request, (), (stream, shard_id, position))
BOOST_DESCRIBE_STRUCT(get_shard_iterator_result, (), (shard_iterator))
BOOST_DESCRIBE_STRUCT(shard_filter, (), (type, shard_id, timestamp_ms))
BOOST_DESCRIBE_STRUCT(list_shards_request, (),
                      (stream, next_token, exclusive_start_shard_id, max_results,
                       stream_creation_timestamp_ms, filter))
BOOST_DESCRIBE_STRUCT(list_shards_result, (), (shards, next_token))
BOOST_DESCRIBE_STRUCT(list_stream_consumers_request, (),
                      (stream_arn, next_token, max_results, stream_creation_timestamp_ms))
BOOST_DESCRIBE_STRUCT(list_stream_consumers_result, (), (consumers, next_token))
BOOST_DESCRIBE_STRUCT(list_streams_request, (), (limit, exclusive_start_stream_name, next_token))
BOOST_DESCRIBE_STRUCT(stream_summary, (), (stream_name, stream_arn, status, mode, created_ms))
BOOST_DESCRIBE_STRUCT(list_streams_result, (),
                      (stream_names, has_more_streams, next_token, stream_summaries))
BOOST_DESCRIBE_STRUCT(list_tags_for_resource_request, (), (resource_arn))
BOOST_DESCRIBE_STRUCT(list_tags_for_resource_result, (), (tags))
BOOST_DESCRIBE_STRUCT(list_tags_for_stream_request, (), (stream, exclusive_start_tag_key, limit))
BOOST_DESCRIBE_STRUCT(list_tags_for_stream_result, (), (tags, has_more_tags))
BOOST_DESCRIBE_STRUCT(merge_shards_request, (), (stream, shard_to_merge, adjacent_shard_to_merge))
BOOST_DESCRIBE_STRUCT(put_record_request, (),
                      (stream, partition_key, data, explicit_hash_key,
                       sequence_number_for_ordering))
BOOST_DESCRIBE_STRUCT(put_record_result, (), (shard_id, sequence_number, encryption))
BOOST_DESCRIBE_STRUCT(put_records_entry, (), (partition_key, data, explicit_hash_key))
BOOST_DESCRIBE_STRUCT(put_records_request, (), (stream, records))
BOOST_DESCRIBE_STRUCT(put_records_result, (), (failed_record_count, records, encryption))
BOOST_DESCRIBE_STRUCT(put_resource_policy_request, (), (resource_arn, policy))
BOOST_DESCRIBE_STRUCT(register_stream_consumer_request, (), (stream_arn, consumer_name))
BOOST_DESCRIBE_STRUCT(register_stream_consumer_result, (), (consumer))
BOOST_DESCRIBE_STRUCT(remove_tags_from_stream_request, (), (stream, tag_keys))
BOOST_DESCRIBE_STRUCT(split_shard_request, (), (stream, shard_to_split, new_starting_hash_key))
BOOST_DESCRIBE_STRUCT(start_stream_encryption_request, (), (stream, encryption, key_id))
BOOST_DESCRIBE_STRUCT(subscribe_to_shard_event, (),
                      (records, continuation_sequence_number, millis_behind_latest, child_shards))
BOOST_DESCRIBE_STRUCT(subscribe_to_shard_result, (), (events))
BOOST_DESCRIBE_STRUCT(tag_resource_request, (), (resource_arn, tags))
BOOST_DESCRIBE_STRUCT(untag_resource_request, (), (resource_arn, tag_keys))
BOOST_DESCRIBE_STRUCT(update_account_settings_request, (), (minimum_throughput_billing_commitment))
BOOST_DESCRIBE_STRUCT(update_account_settings_result, (), (minimum_throughput_billing_commitment))
BOOST_DESCRIBE_STRUCT(update_max_record_size_request, (), (stream_arn, max_record_size_kib))
BOOST_DESCRIBE_STRUCT(update_shard_count_request, (), (stream, target_shard_count, scaling))
BOOST_DESCRIBE_STRUCT(update_shard_count_result, (),
                      (stream_name, stream_arn, current_shard_count, target_shard_count))
BOOST_DESCRIBE_STRUCT(update_stream_mode_request, (), (stream_arn, mode))
BOOST_DESCRIBE_STRUCT(update_stream_warm_throughput_request, (), (stream, warm_throughput_mibps))
BOOST_DESCRIBE_STRUCT(update_stream_warm_throughput_result, (),
                      (stream_name, stream_arn, warm_throughput))
BOOST_DESCRIBE_STRUCT(add_tags_to_stream_result, (), ())
BOOST_DESCRIBE_STRUCT(create_stream_result, (), ())
BOOST_DESCRIBE_STRUCT(decrease_stream_retention_period_result, (), ())
BOOST_DESCRIBE_STRUCT(delete_resource_policy_result, (), ())
BOOST_DESCRIBE_STRUCT(delete_stream_result, (), ())
BOOST_DESCRIBE_STRUCT(deregister_stream_consumer_result, (), ())
BOOST_DESCRIBE_STRUCT(describe_account_settings_request, (), ())
BOOST_DESCRIBE_STRUCT(describe_limits_request, (), ())
BOOST_DESCRIBE_STRUCT(merge_shards_result, (), ())
BOOST_DESCRIBE_STRUCT(put_resource_policy_result, (), ())
BOOST_DESCRIBE_STRUCT(remove_tags_from_stream_result, (), ())
BOOST_DESCRIBE_STRUCT(split_shard_result, (), ())
BOOST_DESCRIBE_STRUCT(start_stream_encryption_result, (), ())
BOOST_DESCRIBE_STRUCT(tag_resource_result, (), ())
BOOST_DESCRIBE_STRUCT(untag_resource_result, (), ())
BOOST_DESCRIBE_STRUCT(update_max_record_size_result, (), ())
BOOST_DESCRIBE_STRUCT(update_stream_mode_result, (), ())

}  // namespace spate::client
