// DescribeLimits: the account's shard limit and use, and its on-demand stream limit and use.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace describe_limits_action {
namespace {

const shape request{};

void handle(action_context& ctx, value&, responder respond) {
  const auto& options = ctx.engine.options();
  value out = value::object();
  out.add("ShardLimit", value::integer(options.shard_limit))
      .add("OpenShardCount",
           value::integer(static_cast<std::int64_t>(ctx.engine.open_shard_count())))
      .add("OnDemandStreamCount",
           value::integer(static_cast<std::int64_t>(ctx.engine.on_demand_stream_count())))
      .add("OnDemandStreamCountLimit", value::integer(options.on_demand_stream_limit));
  respond(std::move(out));
}

}  // namespace
}  // namespace describe_limits_action

const action describe_limits{"DescribeLimits", &describe_limits_action::request, false,
                             &describe_limits_action::handle};

}  // namespace spate::api::actions
