// retention: bounds and the engine call shared by the two retention actions.
#include "api/actions/retention.h"

#include "api/actions/common.h"

#include <fmt/format.h>

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
  if (hours < min_retention_hours) {
    return respond(invalid_argument(fmt::format(
        "Minimum allowed retention period is {} hours. Requested retention period ({} hours) is "
        "too short.",
        min_retention_hours, hours)));
  }
  if (hours > max_retention_hours) {
    return respond(invalid_argument(fmt::format(
        "Maximum allowed retention period is {} hours. Requested retention period ({} hours) is "
        "too long.",
        max_retention_hours, hours)));
  }
  auto changed = ctx.engine.change_retention(*name, static_cast<int>(hours), change);
  if (!changed) return respond(from_failure(changed.error()));
  respond(no_content());
}

}  // namespace spate::api::actions
