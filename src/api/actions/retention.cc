// retention: bounds and the engine call shared by the two retention actions.
#include "api/actions/retention.h"

#include "api/actions/common.h"
#include "kinesis/rules.h"

namespace spate::api::actions {

const shape retention_request{{
    {.name = "RetentionPeriodHours", .type = member_type::integer, .required = true},
    stream_name_member(),
    stream_arn_member(),
}};

void change_retention(action_context& ctx, value& req, engine::retention_change change,
                      responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  const std::int64_t hours = *get_integer(req, "RetentionPeriodHours");
  if (auto refused = kinesis::check_retention_hours(hours)) {
    return respond(from_violation(*refused));
  }
  auto changed = ctx.engine.change_retention(*name, static_cast<int>(hours), change);
  if (!changed) return respond(from_failure(changed.error()));
  respond(no_content());
}

}  // namespace spate::api::actions
