// DeleteStream: the stream goes DELETING, then its shards and records are removed.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace delete_stream_action {
namespace {

const shape request{{
    stream_name_member(),
    stream_arn_member(),
    {.name = "EnforceConsumerDeletion", .type = member_type::boolean},
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  const value* enforce = req.find("EnforceConsumerDeletion");
  auto deleted = ctx.engine.delete_stream(*name, enforce && enforce->as_bool());
  if (!deleted) return respond(from_failure(deleted.error()));
  respond(no_content());
}

}  // namespace
}  // namespace delete_stream_action

const action delete_stream{"DeleteStream", &delete_stream_action::request, true,
                           &delete_stream_action::handle};

}  // namespace spate::api::actions
