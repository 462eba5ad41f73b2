// ListStreamConsumers: a stream's consumers in registration order, paged by MaxResults and
// NextToken (at most 100 per call).
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/consumers.h"
#include "api/pagination.h"

namespace spate::api::actions {
namespace list_stream_consumers_action {
namespace {

constexpr auto page_limit = static_cast<std::int64_t>(kinesis::list_consumers_page);

const shape request{{
    stream_arn_member(true),
    {.name = "NextToken", .min_length = 1, .max_length = 1048576},
    {.name = "MaxResults",
     .type = member_type::integer,
     .min_value = 1,
     .max_value = static_cast<std::int64_t>(kinesis::max_results_limit)},
    {.name = "StreamCreationTimestamp", .type = member_type::timestamp},
}};

void handle(action_context& ctx, value& req, responder respond) {
  auto stream = ctx.engine.stream_name_from_arn(*get_string(req, "StreamARN"));
  if (!stream) return respond(from_failure(stream.error()));
  const auto created = get_integer(req, "StreamCreationTimestamp");
  std::size_t skip = 0;
  if (const std::string* token = get_string(req, "NextToken")) {
    if (created) {
      return respond(
          invalid_argument("NextToken and StreamCreationTimestamp cannot be provided together."));
    }
    auto opened = open_page_token(ctx, "ListStreamConsumers", *token, 2, *stream);
    if (auto* e = std::get_if<api_error>(&opened)) return respond(std::move(*e));
    skip = std::stoul(std::get<std::vector<std::string>>(opened)[1]);
  }
  // StreamCreationTimestamp is epoch seconds (with milliseconds) on the wire.
  auto consumers = ctx.engine.list_consumers(*stream, created.value_or(0));
  if (!consumers) return respond(from_failure(consumers.error()));
  const auto limit = static_cast<std::size_t>(
      std::min(get_integer(req, "MaxResults").value_or(page_limit), page_limit));
  value list = value::array();
  std::size_t i = skip;
  for (; i < consumers->size() && list.items().size() < limit; ++i) {
    list.push(consumer_description((*consumers)[i]));
  }
  value out = value::object();
  out.add("Consumers", std::move(list));
  if (i < consumers->size()) {
    out.add("NextToken", value::string(make_page_token(ctx.engine.key(), "ListStreamConsumers",
                                                       {*stream, std::to_string(i)})));
  }
  respond(std::move(out));
}

}  // namespace
}  // namespace list_stream_consumers_action

const action list_stream_consumers{"ListStreamConsumers", &list_stream_consumers_action::request,
                                   false, &list_stream_consumers_action::handle};

}  // namespace spate::api::actions
