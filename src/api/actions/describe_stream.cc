// DescribeStream: a stream and a page of its shards (Limit, ExclusiveStartShardId).
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace describe_stream_action {
namespace {

// Limit accepts up to 10000, but AWS returns at most a page of shards per call.
constexpr auto default_limit = static_cast<std::int64_t>(kinesis::describe_stream_page);

const shape request{{
    {.name = "Limit",
     .type = member_type::integer,
     .min_value = 1,
     .max_value = static_cast<std::int64_t>(kinesis::max_results_limit)},
    shard_id_member("ExclusiveStartShardId", false),
    stream_name_member(),
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  auto snap = describe_requested(ctx, req, respond);
  if (!snap) return;
  const auto limit = static_cast<std::size_t>(
      std::min(get_integer(req, "Limit").value_or(default_limit), default_limit));
  const std::string* start = get_string(req, "ExclusiveStartShardId");

  value shards = value::array();
  bool more = false;
  if (!snap->shards_hidden) {
    for (const auto& shard : snap->shards) {
      if (start && !shard_after(shard.index, *start)) continue;
      if (shards.items().size() == limit) {
        more = true;
        break;
      }
      shards.push(shard_description(*snap, shard));
    }
  }
  const auto& s = snap->stream;
  value description = value::object();
  description.add("StreamName", value::string(s.name))
      .add("StreamARN", value::string(s.arn))
      .add("StreamStatus", value::string(std::string(to_string(s.status))))
      .add("StreamModeDetails", stream_mode_details(s.mode))
      .add("Shards", std::move(shards))
      .add("HasMoreShards", value::boolean(more))
      .add("RetentionPeriodHours", value::integer(s.retention_hours))
      .add("StreamCreationTimestamp", value::timestamp(s.created_ms))
      .add("EnhancedMonitoring", enhanced_monitoring(s.shard_level_metrics))
      .add("EncryptionType", value::string(s.encryption_type));
  if (!s.kms_key_id.empty()) description.add("KeyId", value::string(s.kms_key_id));
  respond(value::object().add("StreamDescription", std::move(description)));
}

}  // namespace
}  // namespace describe_stream_action

const action describe_stream{"DescribeStream", &describe_stream_action::request, false,
                             &describe_stream_action::handle};

}  // namespace spate::api::actions
