// ListTagsForStream: tags sorted by key, paged by ExclusiveStartTagKey and Limit.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace list_tags_for_stream_action {
namespace {

constexpr auto default_limit = static_cast<std::int64_t>(kinesis::list_tags_page);

const shape request{{
    {.name = "Limit", .type = member_type::integer, .min_value = 1, .max_value = default_limit},
    {.name = "ExclusiveStartTagKey", .min_length = 1, .max_length = 128},
    stream_name_member(),
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  auto snap = describe_requested(ctx, req, respond);
  if (!snap) return;
  const auto limit = static_cast<std::size_t>(get_integer(req, "Limit").value_or(default_limit));
  const std::string* start = get_string(req, "ExclusiveStartTagKey");
  std::map<std::string, std::string> page;
  bool more = false;
  for (const auto& [k, v] : snap->stream.tags) {
    if (start && k <= *start) continue;
    if (page.size() == limit) {
      more = true;
      break;
    }
    page.emplace(k, v);
  }
  respond(value::object().add("Tags", tag_list(page)).add("HasMoreTags", value::boolean(more)));
}

}  // namespace
}  // namespace list_tags_for_stream_action

const action list_tags_for_stream{"ListTagsForStream", &list_tags_for_stream_action::request, false,
                                  &list_tags_for_stream_action::handle};

}  // namespace spate::api::actions
