// actions: the dispatch table. One file per Kinesis action defines its shape and handler;
// this header names them, and actions.cc lists them in one table.
#pragma once

#include "api/action.h"

#include <vector>

namespace spate::api::actions {

extern const action create_stream;
extern const action delete_stream;
extern const action describe_stream;
extern const action describe_stream_summary;
extern const action list_streams;
extern const action list_shards;
extern const action put_record;
extern const action put_records;
extern const action get_shard_iterator;
extern const action get_records;
extern const action increase_stream_retention_period;
extern const action decrease_stream_retention_period;
extern const action add_tags_to_stream;
extern const action remove_tags_from_stream;
extern const action list_tags_for_stream;
extern const action tag_resource;
extern const action untag_resource;
extern const action list_tags_for_resource;
extern const action split_shard;
extern const action merge_shards;
extern const action update_shard_count;
extern const action update_stream_mode;
extern const action describe_limits;
extern const action register_stream_consumer;
extern const action describe_stream_consumer;
extern const action list_stream_consumers;
extern const action deregister_stream_consumer;
extern const action subscribe_to_shard;
extern const action start_stream_encryption;
extern const action stop_stream_encryption;
extern const action enable_enhanced_monitoring;
extern const action disable_enhanced_monitoring;
extern const action put_resource_policy;
extern const action get_resource_policy;
extern const action delete_resource_policy;
extern const action describe_account_settings;
extern const action update_account_settings;
extern const action update_max_record_size;
extern const action update_stream_warm_throughput;

}  // namespace spate::api::actions

namespace spate::api {
// Every action the server serves, in one table.
const std::vector<const action*>& all_actions();
}  // namespace spate::api
