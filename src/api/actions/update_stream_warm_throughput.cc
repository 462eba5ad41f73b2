// UpdateStreamWarmThroughput: the write throughput (MiB/s) an on-demand stream is kept ready
// for, in an account with the minimum throughput billing commitment (UpdateAccountSettings).
// The answer has the new TargetMiBps and the CurrentMiBps so far; the stream is UPDATING for
// --update-stream-ms, after which CurrentMiBps reaches the target. Throughput is not limited
// here, so the setting changes nothing but what is reported.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace update_stream_warm_throughput_action {
namespace {

const shape request{{
    stream_arn_member(),
    stream_name_member(),
    {.name = "WarmThroughputMiBps", .type = member_type::integer, .required = true, .min_value = 0},
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  auto updated = ctx.engine.update_warm_throughput(*name, *get_integer(req, "WarmThroughputMiBps"));
  if (!updated) return respond(from_failure(updated.error()));
  respond(value::object()
              .add("StreamARN", value::string(updated->arn))
              .add("StreamName", value::string(updated->name))
              .add("WarmThroughput", warm_throughput(*updated)));
}

}  // namespace
}  // namespace update_stream_warm_throughput_action

const action update_stream_warm_throughput{"UpdateStreamWarmThroughput",
                                           &update_stream_warm_throughput_action::request, true,
                                           &update_stream_warm_throughput_action::handle};

}  // namespace spate::api::actions
