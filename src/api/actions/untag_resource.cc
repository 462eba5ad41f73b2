// UntagResource: RemoveTagsFromStream for a stream named by its ARN.
#include "api/actions/actions.h"
#include "api/actions/tags.h"

namespace spate::api::actions {
namespace untag_resource_action {
namespace {

const shape request{{tag_keys_member(), resource_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = stream_of_resource(ctx, req, error);
  if (!name) return respond(error);
  remove_tags(ctx, *name, *req.find("TagKeys"), std::move(respond));
}

}  // namespace
}  // namespace untag_resource_action

const action untag_resource{"UntagResource", &untag_resource_action::request, true,
                            &untag_resource_action::handle};

}  // namespace spate::api::actions
