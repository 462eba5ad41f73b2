// UpdateStreamMode: switches a stream between PROVISIONED and ON_DEMAND.
#include "api/actions/actions.h"
#include "api/actions/common.h"

#include <fmt/format.h>

namespace spate::api::actions {
namespace update_stream_mode_action {
namespace {

const shape mode_details{
    {{.name = "StreamMode", .required = true, .one_of = {"PROVISIONED", "ON_DEMAND"}}}};

const shape request{{
    stream_arn_member(true),
    {.name = "StreamModeDetails",
     .type = member_type::structure,
     .required = true,
     .element = &mode_details},
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  const auto mode =
      *metadata::parse_stream_mode(req.find("StreamModeDetails")->find("StreamMode")->as_string());
  auto snap = ctx.engine.describe(*name);
  if (!snap) return respond(from_failure(snap.error()));
  if (snap->stream.mode == mode) {
    return respond(
        invalid_argument(fmt::format("Stream {} under account {} is already in {} mode.", *name,
                                     ctx.engine.options().account_id, to_string(mode))));
  }
  auto updated = ctx.engine.update_stream_mode(*name, mode);
  if (!updated) return respond(from_failure(updated.error()));
  respond(no_content());
}

}  // namespace
}  // namespace update_stream_mode_action

const action update_stream_mode{"UpdateStreamMode", &update_stream_mode_action::request, true,
                                &update_stream_mode_action::handle};

}  // namespace spate::api::actions
