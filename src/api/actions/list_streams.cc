// ListStreams: stream names in byte order, paged by Limit and ExclusiveStartStreamName or
// NextToken, with StreamSummaries.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/pagination.h"

namespace spate::api::actions {
namespace list_streams_action {
namespace {

// Limit accepts up to 10000, but AWS returns at most a page (100 names) per call.
constexpr auto default_limit = static_cast<std::int64_t>(kinesis::list_streams_page);

const shape request{{
    {.name = "Limit",
     .type = member_type::integer,
     .min_value = 1,
     .max_value = static_cast<std::int64_t>(kinesis::max_results_limit)},
    {.name = "ExclusiveStartStreamName",
     .min_length = 1,
     .max_length = 128,
     .matches = pattern::name},
    {.name = "NextToken", .min_length = 1, .max_length = 1048576},
}};

void handle(action_context& ctx, value& req, responder respond) {
  std::string after;
  if (const std::string* token = get_string(req, "NextToken")) {
    auto opened = open_page_token(ctx, "ListStreams", *token, 1);
    if (auto* e = std::get_if<api_error>(&opened)) return respond(std::move(*e));
    after = std::move(std::get<std::vector<std::string>>(opened)[0]);
  } else if (const std::string* start = get_string(req, "ExclusiveStartStreamName")) {
    after = *start;
  }
  const auto limit = static_cast<std::size_t>(
      std::min(get_integer(req, "Limit").value_or(default_limit), default_limit));
  value names = value::array();
  value summaries = value::array();
  bool more = false;
  std::string last;
  for (const auto& s : ctx.engine.list_streams()) {
    if (!after.empty() && s.name <= after) continue;
    if (names.items().size() == limit) {
      more = true;
      break;
    }
    last = s.name;
    names.push(value::string(s.name));
    summaries.push(value::object()
                       .add("StreamName", value::string(s.name))
                       .add("StreamARN", value::string(s.arn))
                       .add("StreamStatus", value::string(std::string(to_string(s.status))))
                       .add("StreamModeDetails", stream_mode_details(s.mode))
                       .add("StreamCreationTimestamp", value::timestamp(s.created_ms)));
  }
  value out = value::object();
  out.add("StreamNames", std::move(names)).add("HasMoreStreams", value::boolean(more));
  if (more)
    out.add("NextToken", value::string(make_page_token(ctx.engine.key(), "ListStreams", {last})));
  out.add("StreamSummaries", std::move(summaries));
  respond(std::move(out));
}

}  // namespace
}  // namespace list_streams_action

const action list_streams{"ListStreams", &list_streams_action::request, false,
                          &list_streams_action::handle};

}  // namespace spate::api::actions
