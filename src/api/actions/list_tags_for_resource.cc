// ListTagsForResource: every tag of a stream named by its ARN.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/tags.h"

namespace spate::api::actions {
namespace list_tags_for_resource_action {
namespace {

const shape request{{resource_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = stream_of_resource(ctx, req, error);
  if (!name) return respond(error);
  auto snap = ctx.engine.describe(*name);
  if (!snap) return respond(from_failure(snap.error()));
  respond(value::object().add("Tags", tag_list(snap->stream.tags)));
}

}  // namespace
}  // namespace list_tags_for_resource_action

const action list_tags_for_resource{"ListTagsForResource", &list_tags_for_resource_action::request,
                                    false, &list_tags_for_resource_action::handle};

}  // namespace spate::api::actions
