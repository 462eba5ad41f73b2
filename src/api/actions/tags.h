// tags: what the six tagging actions share (AddTagsToStream, RemoveTagsFromStream,
// ListTagsForStream and the ARN-addressed TagResource, UntagResource, ListTagsForResource):
// member definitions and the add/remove calls with AWS's character rules.
#pragma once

#include "api/action.h"

#include <string>

namespace spate::api::actions {

member tags_member();
member tag_keys_member();
member resource_arn_member();

void add_tags(action_context& ctx, const std::string& stream, const value& tags, responder respond);
void remove_tags(action_context& ctx, const std::string& stream, const value& keys,
                 responder respond);
// The stream a ResourceARN names; sets `error` and returns nullopt if none.
std::optional<std::string> stream_of_resource(action_context& ctx, const value& req,
                                              api_error& error);

}  // namespace spate::api::actions
