// actions: the one dispatch table of Kinesis actions.
#include "api/actions/actions.h"

namespace spate::api {

const std::vector<const action*>& all_actions() {
  using namespace actions;
  static const std::vector<const action*> table = {
      &create_stream,
      &delete_stream,
      &describe_stream,
      &describe_stream_summary,
      &list_streams,
      &list_shards,
      &put_record,
      &put_records,
      &get_shard_iterator,
      &get_records,
      &increase_stream_retention_period,
      &decrease_stream_retention_period,
      &add_tags_to_stream,
      &remove_tags_from_stream,
      &list_tags_for_stream,
      &tag_resource,
      &untag_resource,
      &list_tags_for_resource,
      &split_shard,
      &merge_shards,
      &update_shard_count,
      &update_stream_mode,
      &describe_limits,
      &register_stream_consumer,
      &describe_stream_consumer,
      &list_stream_consumers,
      &deregister_stream_consumer,
      &subscribe_to_shard,
      &start_stream_encryption,
      &stop_stream_encryption,
      &enable_enhanced_monitoring,
      &disable_enhanced_monitoring,
      &put_resource_policy,
      &get_resource_policy,
      &delete_resource_policy,
      &describe_account_settings,
      &update_account_settings,
      &update_max_record_size,
      &update_stream_warm_throughput,
  };
  return table;
}

}  // namespace spate::api
