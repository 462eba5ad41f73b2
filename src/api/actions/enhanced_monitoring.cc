// EnableEnhancedMonitoring / DisableEnhancedMonitoring: the shard-level metrics a stream
// publishes ("ALL" for all seven). The change is immediate: the answer's
// CurrentShardLevelMetrics are those before it, DesiredShardLevelMetrics those after, and
// DescribeStream's EnhancedMonitoring and the server's /metrics follow at once.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace enhanced_monitoring_action {
namespace {

const shape request{{
    stream_name_member(),
    {.name = "ShardLevelMetrics",
     .type = member_type::list,
     .required = true,
     .min_length = 1,
     .max_length = 7,
     .one_of = {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                "IteratorAgeMilliseconds", "ALL"}},
    stream_arn_member(),
}};

value string_list(const std::vector<std::string>& items) {
  value list = value::array();
  for (const auto& s : items) list.push(value::string(s));
  return list;
}

void change(action_context& ctx, value& req, const responder& respond, bool enable) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  std::vector<std::string> metrics;
  for (const auto& item : req.find("ShardLevelMetrics")->items()) {
    metrics.push_back(item.as_string());
  }
  auto changed = ctx.engine.change_enhanced_monitoring(*name, metrics, enable);
  if (!changed) return respond(from_failure(changed.error()));
  respond(value::object()
              .add("StreamName", value::string(changed->stream_name))
              .add("CurrentShardLevelMetrics", string_list(changed->current))
              .add("DesiredShardLevelMetrics", string_list(changed->desired))
              .add("StreamARN", value::string(changed->stream_arn)));
}

void enable(action_context& ctx, value& req, responder respond) {
  change(ctx, req, respond, true);
}
void disable(action_context& ctx, value& req, responder respond) {
  change(ctx, req, respond, false);
}

}  // namespace
}  // namespace enhanced_monitoring_action

const action enable_enhanced_monitoring{"EnableEnhancedMonitoring",
                                        &enhanced_monitoring_action::request, true,
                                        &enhanced_monitoring_action::enable};
const action disable_enhanced_monitoring{"DisableEnhancedMonitoring",
                                         &enhanced_monitoring_action::request, true,
                                         &enhanced_monitoring_action::disable};

}  // namespace spate::api::actions
