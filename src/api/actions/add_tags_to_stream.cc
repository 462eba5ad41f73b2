// AddTagsToStream: adds or overwrites tags (at most 50 per stream).
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/tags.h"

namespace spate::api::actions {
namespace add_tags_to_stream_action {
namespace {

const shape request{{tags_member(), stream_name_member(), stream_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  add_tags(ctx, *name, *req.find("Tags"), std::move(respond));
}

}  // namespace
}  // namespace add_tags_to_stream_action

const action add_tags_to_stream{"AddTagsToStream", &add_tags_to_stream_action::request, true,
                                &add_tags_to_stream_action::handle};

}  // namespace spate::api::actions
