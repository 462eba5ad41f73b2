// TagResource: AddTagsToStream for a stream named by its ARN.
#include "api/actions/actions.h"
#include "api/actions/tags.h"

namespace spate::api::actions {
namespace tag_resource_action {
namespace {

const shape request{{tags_member(), resource_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = stream_of_resource(ctx, req, error);
  if (!name) return respond(error);
  add_tags(ctx, *name, *req.find("Tags"), std::move(respond));
}

}  // namespace
}  // namespace tag_resource_action

const action tag_resource{"TagResource", &tag_resource_action::request, true,
                          &tag_resource_action::handle};

}  // namespace spate::api::actions
