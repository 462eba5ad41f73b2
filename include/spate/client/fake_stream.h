// fake_stream: an in-process Kinesis for users' unit tests - no server, no network, no disk.
//
// It implements the `kinesis` interface with Kinesis' rules where an application can observe
// them: MD5 hash-key routing, per-shard increasing sequence numbers, shard iterators,
// GetRecords limits, resharding (split, merge, UpdateShardCount) with closed parents and
// ChildShards, tags, consumers and SubscribeToShard (events of what is in the shard, then the
// call returns). Records stay in memory; nothing expires. Failures can be injected to test an
// application's error handling. Its rules, limits and error messages are spated's own, and
// tests/conformance runs the same scenarios against both.
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

  outcome<void> create_stream(const create_stream_request& req) override;
  outcome<void> delete_stream(const stream_ref& stream, bool enforce_consumer_deletion) override;
  outcome<stream_description> describe_stream(const stream_ref& stream) override;
  outcome<stream_description> describe_stream_summary(const stream_ref& stream) override;
  outcome<list_streams_response> list_streams(const list_streams_request& req) override;
  outcome<list_shards_response> list_shards(const list_shards_request& req) override;
  outcome<limits> describe_limits() override;
  outcome<put_record_response> put_record(const put_record_request& req) override;
  outcome<put_records_response> put_records(const stream_ref& stream,
                                            const std::vector<put_records_entry>& records) override;
  outcome<std::string> get_shard_iterator(const get_shard_iterator_request& req) override;
  outcome<get_records_response> get_records(const std::string& shard_iterator,
                                            std::optional<int> limit) override;
  outcome<void> split_shard(const split_shard_request& req) override;
  outcome<void> merge_shards(const merge_shards_request& req) override;
  outcome<update_shard_count_response> update_shard_count(const stream_ref& stream,
                                                          int target_shard_count) override;
  outcome<void> update_stream_mode(const std::string& stream_arn, bool on_demand) override;
  outcome<void> increase_retention(const stream_ref& stream, int hours) override;
  outcome<void> decrease_retention(const stream_ref& stream, int hours) override;
  outcome<void> add_tags(const stream_ref& stream,
                         const std::map<std::string, std::string>& tags) override;
  outcome<void> remove_tags(const stream_ref& stream,
                            const std::vector<std::string>& keys) override;
  outcome<std::map<std::string, std::string>> list_tags(const stream_ref& stream) override;
  outcome<void> tag_resource(const std::string& arn,
                             const std::map<std::string, std::string>& tags) override;
  outcome<void> untag_resource(const std::string& arn,
                               const std::vector<std::string>& keys) override;
  outcome<std::map<std::string, std::string>> list_tags_for_resource(
      const std::string& arn) override;
  outcome<consumer_description> register_consumer(const std::string& stream_arn,
                                                  const std::string& consumer_name) override;
  outcome<consumer_description> describe_consumer(const std::string& consumer_arn,
                                                  const std::string& stream_arn,
                                                  const std::string& consumer_name) override;
  outcome<list_consumers_response> list_consumers(const std::string& stream_arn,
                                                  const std::string& next_token) override;
  outcome<void> deregister_consumer(const std::string& consumer_arn, const std::string& stream_arn,
                                    const std::string& consumer_name) override;
  outcome<void> subscribe_to_shard(const subscribe_request& req,
                                   const subscribe_handler& on_event) override;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace spate::client
