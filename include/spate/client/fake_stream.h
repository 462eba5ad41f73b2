// fake_stream: an in-process Kinesis for users' unit tests - no server, no network, no disk.
//
// It implements the `kinesis` interface with Kinesis' rules where an application can observe
// them: MD5 hash-key routing, per-shard increasing sequence numbers, shard iterators,
// GetRecords limits, resharding (split, merge, UpdateShardCount) with closed parents and
// ChildShards, tags, consumers and SubscribeToShard (events of what is in the shard, then the
// call returns). Records stay in memory; nothing expires. Failures can be injected to test an
// application's error handling. The settings actions (encryption, enhanced monitoring, record
// size, warm throughput, resource policies, account settings) are not modelled: they answer
// error_code::not_implemented, the interface's default. Its rules, limits and error messages are
// spated's own, and tests/conformance runs the same scenarios against both.
#pragma once

#include <spate/client/client.h>

#include <functional>
#include <memory>
#include <string>

namespace spate::client {

class fake_stream final : public kinesis {
 public:
  fake_stream();
  ~fake_stream() override;

  // Every PutRecords entry for which `fail` returns true is answered
  // ProvisionedThroughputExceededException (and not stored), as a throttled shard would.
  void inject_put_failures(std::function<bool(const put_records_entry&)> fail);
  // The next `n` calls (any action) fail with `err`.
  void inject_call_failures(int n, error err);

  outcome<add_tags_to_stream_result> add_tags_to_stream(
      const add_tags_to_stream_request& req) override;
  outcome<create_stream_result> create_stream(const create_stream_request& req) override;
  outcome<decrease_stream_retention_period_result> decrease_stream_retention_period(
      const decrease_stream_retention_period_request& req) override;
  outcome<delete_stream_result> delete_stream(const delete_stream_request& req) override;
  outcome<deregister_stream_consumer_result> deregister_stream_consumer(
      const deregister_stream_consumer_request& req) override;
  outcome<describe_limits_result> describe_limits(const describe_limits_request& req) override;
  outcome<describe_stream_result> describe_stream(const describe_stream_request& req) override;
  outcome<describe_stream_consumer_result> describe_stream_consumer(
      const describe_stream_consumer_request& req) override;
  outcome<describe_stream_summary_result> describe_stream_summary(
      const describe_stream_summary_request& req) override;
  outcome<get_records_result> get_records(const get_records_request& req) override;
  outcome<get_shard_iterator_result> get_shard_iterator(
      const get_shard_iterator_request& req) override;
  outcome<increase_stream_retention_period_result> increase_stream_retention_period(
      const increase_stream_retention_period_request& req) override;
  outcome<list_shards_result> list_shards(const list_shards_request& req) override;
  outcome<list_stream_consumers_result> list_stream_consumers(
      const list_stream_consumers_request& req) override;
  outcome<list_streams_result> list_streams(const list_streams_request& req) override;
  outcome<list_tags_for_resource_result> list_tags_for_resource(
      const list_tags_for_resource_request& req) override;
  outcome<list_tags_for_stream_result> list_tags_for_stream(
      const list_tags_for_stream_request& req) override;
  outcome<merge_shards_result> merge_shards(const merge_shards_request& req) override;
  outcome<put_record_result> put_record(const put_record_request& req) override;
  outcome<put_records_result> put_records(const put_records_request& req) override;
  outcome<register_stream_consumer_result> register_stream_consumer(
      const register_stream_consumer_request& req) override;
  outcome<remove_tags_from_stream_result> remove_tags_from_stream(
      const remove_tags_from_stream_request& req) override;
  outcome<split_shard_result> split_shard(const split_shard_request& req) override;
  outcome<subscribe_to_shard_result> subscribe_to_shard(
      const subscribe_to_shard_request& req) override;
  outcome<tag_resource_result> tag_resource(const tag_resource_request& req) override;
  outcome<untag_resource_result> untag_resource(const untag_resource_request& req) override;
  outcome<update_shard_count_result> update_shard_count(
      const update_shard_count_request& req) override;
  outcome<update_stream_mode_result> update_stream_mode(
      const update_stream_mode_request& req) override;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace spate::client
