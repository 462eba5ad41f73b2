// The `kinesis` interface's defaults - each action answers error_code::not_implemented until an
// implementation overrides it - and the helpers that gather an action's pages.
#include <spate/client/client.h>

#include <string>

namespace spate::client {
namespace {

error not_implemented(std::string_view action) {
  return {error_code::not_implemented,
          std::string(action) + " is not implemented by this kinesis implementation"};
}

}  // namespace

kinesis::~kinesis() = default;

void kinesis::close() {}

// One line per action: method name, then the action's AWS name.
#define SPATE_DEFAULT_ACTION(method, action)                                     \
  outcome<method##_result> kinesis::method(const method##_request& /*unused*/) { \
    return not_implemented(action);                                              \
  }
SPATE_DEFAULT_ACTION(add_tags_to_stream, "AddTagsToStream")
SPATE_DEFAULT_ACTION(create_stream, "CreateStream")
SPATE_DEFAULT_ACTION(decrease_stream_retention_period, "DecreaseStreamRetentionPeriod")
SPATE_DEFAULT_ACTION(delete_resource_policy, "DeleteResourcePolicy")
SPATE_DEFAULT_ACTION(delete_stream, "DeleteStream")
SPATE_DEFAULT_ACTION(deregister_stream_consumer, "DeregisterStreamConsumer")
SPATE_DEFAULT_ACTION(describe_account_settings, "DescribeAccountSettings")
SPATE_DEFAULT_ACTION(describe_limits, "DescribeLimits")
SPATE_DEFAULT_ACTION(describe_stream, "DescribeStream")
SPATE_DEFAULT_ACTION(describe_stream_consumer, "DescribeStreamConsumer")
SPATE_DEFAULT_ACTION(describe_stream_summary, "DescribeStreamSummary")
SPATE_DEFAULT_ACTION(disable_enhanced_monitoring, "DisableEnhancedMonitoring")
SPATE_DEFAULT_ACTION(enable_enhanced_monitoring, "EnableEnhancedMonitoring")
SPATE_DEFAULT_ACTION(get_records, "GetRecords")
SPATE_DEFAULT_ACTION(get_resource_policy, "GetResourcePolicy")
SPATE_DEFAULT_ACTION(get_shard_iterator, "GetShardIterator")
SPATE_DEFAULT_ACTION(increase_stream_retention_period, "IncreaseStreamRetentionPeriod")
SPATE_DEFAULT_ACTION(list_shards, "ListShards")
SPATE_DEFAULT_ACTION(list_stream_consumers, "ListStreamConsumers")
SPATE_DEFAULT_ACTION(list_streams, "ListStreams")
SPATE_DEFAULT_ACTION(list_tags_for_resource, "ListTagsForResource")
SPATE_DEFAULT_ACTION(list_tags_for_stream, "ListTagsForStream")
SPATE_DEFAULT_ACTION(merge_shards, "MergeShards")
SPATE_DEFAULT_ACTION(put_record, "PutRecord")
SPATE_DEFAULT_ACTION(put_records, "PutRecords")
SPATE_DEFAULT_ACTION(put_resource_policy, "PutResourcePolicy")
SPATE_DEFAULT_ACTION(register_stream_consumer, "RegisterStreamConsumer")
SPATE_DEFAULT_ACTION(remove_tags_from_stream, "RemoveTagsFromStream")
SPATE_DEFAULT_ACTION(split_shard, "SplitShard")
SPATE_DEFAULT_ACTION(start_stream_encryption, "StartStreamEncryption")
SPATE_DEFAULT_ACTION(stop_stream_encryption, "StopStreamEncryption")
SPATE_DEFAULT_ACTION(subscribe_to_shard, "SubscribeToShard")
SPATE_DEFAULT_ACTION(tag_resource, "TagResource")
SPATE_DEFAULT_ACTION(untag_resource, "UntagResource")
SPATE_DEFAULT_ACTION(update_account_settings, "UpdateAccountSettings")
SPATE_DEFAULT_ACTION(update_max_record_size, "UpdateMaxRecordSize")
SPATE_DEFAULT_ACTION(update_shard_count, "UpdateShardCount")
SPATE_DEFAULT_ACTION(update_stream_mode, "UpdateStreamMode")
SPATE_DEFAULT_ACTION(update_stream_warm_throughput, "UpdateStreamWarmThroughput")
#undef SPATE_DEFAULT_ACTION

outcome<stream_description> describe_stream_all(kinesis& api, const stream_ref& stream) {
  describe_stream_request req{stream, std::nullopt, ""};
  std::optional<stream_description> whole;
  for (;;) {
    auto page = api.describe_stream(req);
    if (!page.ok()) return page.err();
    auto& d = page->description;
    const bool more = d.has_more_shards && !d.shards.empty();  // an empty page ends it too
    if (!whole) {
      whole = std::move(d);
    } else {
      for (auto& s : d.shards) whole->shards.push_back(std::move(s));
    }
    if (!more) break;
    req.exclusive_start_shard_id = whole->shards.back().shard_id;
  }
  whole->has_more_shards = false;
  return std::move(*whole);
}

outcome<tag_map> list_tags_for_stream_all(kinesis& api, const stream_ref& stream) {
  list_tags_for_stream_request req{stream, "", std::nullopt};
  tag_map tags;
  for (;;) {
    auto page = api.list_tags_for_stream(req);
    if (!page.ok()) return page.err();
    if (page->tags.empty()) break;
    req.exclusive_start_tag_key = page->tags.rbegin()->first;
    tags.merge(page->tags);
    if (!page->has_more_tags) break;
  }
  return tags;
}

}  // namespace spate::client
