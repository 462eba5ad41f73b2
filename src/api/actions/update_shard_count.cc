// UpdateShardCount: rescales a stream to TargetShardCount even shards (UNIFORM_SCALING),
// within AWS's bounds: at most double, at least half, within the shard limit.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace update_shard_count_action {
namespace {

const shape request{{
    {.name = "ScalingType", .required = true, .one_of = {"UNIFORM_SCALING"}},
    stream_name_member(),
    {.name = "TargetShardCount",
     .type = member_type::integer,
     .required = true,
     .min_value = 1,
     .max_value = kinesis::max_requested_shard_count},
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  if (auto e = require_provisioned(ctx, *name)) return respond(*e);
  const auto target = static_cast<std::size_t>(*get_integer(req, "TargetShardCount"));
  auto current = ctx.engine.update_shard_count(*name, target);
  if (!current) return respond(from_failure(current.error()));
  respond(value::object()
              .add("StreamName", value::string(*name))
              .add("CurrentShardCount", value::integer(static_cast<std::int64_t>(*current)))
              .add("TargetShardCount", value::integer(static_cast<std::int64_t>(target)))
              .add("StreamARN", value::string(ctx.engine.stream_arn(*name))));
}

}  // namespace
}  // namespace update_shard_count_action

const action update_shard_count{"UpdateShardCount", &update_shard_count_action::request, true,
                                &update_shard_count_action::handle};

}  // namespace spate::api::actions
