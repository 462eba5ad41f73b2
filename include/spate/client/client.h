// kinesis: the typed Kinesis Data Streams client, one method per action (all 39).
//
// `kinesis` is the interface; `make_client()` returns the network implementation (HTTP/1.1
// keep-alive pool, TLS for https, SigV4, retries with exponential backoff and full jitter on
// throttling, 5xx and connection failures), which works against spated and AWS alike, and
// `fake_stream` (fake_stream.h) is an in-process one for unit tests. The producer, consumer
// and CLI are written against the interface only.
//
// Each method is named after its action in snake_case, takes that action's request structure
// and returns an outcome of its result structure (actions.h). Every method has a default that
// answers error_code::not_implemented, so a test double overrides only what it uses, and an
// action added here later does not break it. The implementations' methods are thread-safe and
// block until the call finished (retries included).
#pragma once

#include <spate/client/actions.h>
#include <spate/client/error.h>
#include <spate/client/model.h>
#include <spate/client/options.h>
#include <spate/client/record.h>

#include <memory>

namespace spate::client {

class kinesis {
 public:
  virtual ~kinesis();

  // Ends the calls in flight, which return error_code::closed, and answers every later call
  // with the same error at once. For a program that must stop while other threads are still
  // inside calls (an interpreter exiting after Ctrl-C abandoned one). Thread-safe. The default
  // does nothing, for implementations whose calls never wait on the network.
  virtual void close();

  virtual outcome<add_tags_to_stream_result> add_tags_to_stream(
      const add_tags_to_stream_request& req);
  virtual outcome<create_stream_result> create_stream(const create_stream_request& req);
  virtual outcome<decrease_stream_retention_period_result> decrease_stream_retention_period(
      const decrease_stream_retention_period_request& req);
  virtual outcome<delete_resource_policy_result> delete_resource_policy(
      const delete_resource_policy_request& req);
  virtual outcome<delete_stream_result> delete_stream(const delete_stream_request& req);
  virtual outcome<deregister_stream_consumer_result> deregister_stream_consumer(
      const deregister_stream_consumer_request& req);
  virtual outcome<describe_account_settings_result> describe_account_settings(
      const describe_account_settings_request& req);
  virtual outcome<describe_limits_result> describe_limits(const describe_limits_request& req);
  virtual outcome<describe_stream_result> describe_stream(const describe_stream_request& req);
  virtual outcome<describe_stream_consumer_result> describe_stream_consumer(
      const describe_stream_consumer_request& req);
  virtual outcome<describe_stream_summary_result> describe_stream_summary(
      const describe_stream_summary_request& req);
  virtual outcome<disable_enhanced_monitoring_result> disable_enhanced_monitoring(
      const disable_enhanced_monitoring_request& req);
  virtual outcome<enable_enhanced_monitoring_result> enable_enhanced_monitoring(
      const enable_enhanced_monitoring_request& req);
  virtual outcome<get_records_result> get_records(const get_records_request& req);
  virtual outcome<get_resource_policy_result> get_resource_policy(
      const get_resource_policy_request& req);
  virtual outcome<get_shard_iterator_result> get_shard_iterator(
      const get_shard_iterator_request& req);
  virtual outcome<increase_stream_retention_period_result> increase_stream_retention_period(
      const increase_stream_retention_period_request& req);
  virtual outcome<list_shards_result> list_shards(const list_shards_request& req);
  virtual outcome<list_stream_consumers_result> list_stream_consumers(
      const list_stream_consumers_request& req);
  virtual outcome<list_streams_result> list_streams(const list_streams_request& req);
  virtual outcome<list_tags_for_resource_result> list_tags_for_resource(
      const list_tags_for_resource_request& req);
  virtual outcome<list_tags_for_stream_result> list_tags_for_stream(
      const list_tags_for_stream_request& req);
  virtual outcome<merge_shards_result> merge_shards(const merge_shards_request& req);
  virtual outcome<put_record_result> put_record(const put_record_request& req);
  virtual outcome<put_records_result> put_records(const put_records_request& req);
  virtual outcome<put_resource_policy_result> put_resource_policy(
      const put_resource_policy_request& req);
  virtual outcome<register_stream_consumer_result> register_stream_consumer(
      const register_stream_consumer_request& req);
  virtual outcome<remove_tags_from_stream_result> remove_tags_from_stream(
      const remove_tags_from_stream_request& req);
  virtual outcome<split_shard_result> split_shard(const split_shard_request& req);
  virtual outcome<start_stream_encryption_result> start_stream_encryption(
      const start_stream_encryption_request& req);
  virtual outcome<stop_stream_encryption_result> stop_stream_encryption(
      const stop_stream_encryption_request& req);
  // Blocks while the subscription lasts (AWS ends it after 5 minutes), calling
  // `req.on_event` for each event; returns the error that ended it, if any.
  virtual outcome<subscribe_to_shard_result> subscribe_to_shard(
      const subscribe_to_shard_request& req);
  virtual outcome<tag_resource_result> tag_resource(const tag_resource_request& req);
  virtual outcome<untag_resource_result> untag_resource(const untag_resource_request& req);
  virtual outcome<update_account_settings_result> update_account_settings(
      const update_account_settings_request& req);
  virtual outcome<update_max_record_size_result> update_max_record_size(
      const update_max_record_size_request& req);
  virtual outcome<update_shard_count_result> update_shard_count(
      const update_shard_count_request& req);
  virtual outcome<update_stream_mode_result> update_stream_mode(
      const update_stream_mode_request& req);
  virtual outcome<update_stream_warm_throughput_result> update_stream_warm_throughput(
      const update_stream_warm_throughput_request& req);
};

// The network client. Options are resolved with resolve_options(); an endpoint that is not
// http(s)://host[:port] throws std::invalid_argument.
std::shared_ptr<kinesis> make_client(client_options options = {});

// ---- pages gathered --------------------------------------------------------------------------

// DescribeStream, every page of shards gathered into one description (has_more_shards false).
outcome<stream_description> describe_stream_all(kinesis& api, const stream_ref& stream);
// ListTagsForStream, every page gathered.
outcome<tag_map> list_tags_for_stream_all(kinesis& api, const stream_ref& stream);

}  // namespace spate::client
