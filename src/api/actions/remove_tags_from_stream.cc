// RemoveTagsFromStream: removes tags by key; absent keys are ignored.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/tags.h"

namespace spate::api::actions {
namespace remove_tags_from_stream_action {
namespace {

const shape request{{tag_keys_member(), stream_name_member(), stream_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  remove_tags(ctx, *name, *req.find("TagKeys"), std::move(respond));
}

}  // namespace
}  // namespace remove_tags_from_stream_action

const action remove_tags_from_stream{"RemoveTagsFromStream",
                                     &remove_tags_from_stream_action::request, true,
                                     &remove_tags_from_stream_action::handle};

}  // namespace spate::api::actions
