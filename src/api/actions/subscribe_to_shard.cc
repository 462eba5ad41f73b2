// SubscribeToShard: pushes a shard's records to a registered consumer over one long response
// in the event-stream framing (see api/shard_subscription.h for the events).
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/consumers.h"
#include "api/shard_subscription.h"

#include <fmt/format.h>

namespace spate::api::actions {
namespace subscribe_to_shard_action {
namespace {

const shape starting_position{{
    {.name = "Type",
     .required = true,
     .one_of = {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST",
                "AT_TIMESTAMP"}},
    {.name = "SequenceNumber", .matches = pattern::sequence_number},
    {.name = "Timestamp", .type = member_type::timestamp},
}};

const shape request{{
    consumer_arn_member(true),
    shard_id_member("ShardId", true),
    {.name = "StartingPosition",
     .type = member_type::structure,
     .required = true,
     .element = &starting_position},
}};

void handle(action_context& ctx, value& req, responder respond) {
  const std::string& arn = *get_string(req, "ConsumerARN");
  auto key = ctx.engine.parse_consumer_arn(arn);
  if (!key) return respond(resource_not_found(fmt::format("Consumer {} not found.", arn)));
  auto consumer = ctx.engine.describe_consumer(*key);
  if (!consumer) return respond(from_failure(consumer.error()));
  if (consumer->status != metadata::consumer_status::active) {
    return respond(api_error{
        "ResourceInUseException",
        fmt::format("Consumer {} with creation timestamp {} under stream: {} , account {} is not "
                    "in ACTIVE status.",
                    consumer->name, consumer->created_ms / 1000, consumer->stream,
                    ctx.engine.options().account_id)});
  }
  const std::string& shard = *get_string(req, "ShardId");
  const auto index = kinesis::lenient_shard_index(shard);
  if (!index) return respond(shard_not_parsed(ctx, shard, consumer->stream));
  const value& position = *req.find("StartingPosition");
  auto start =
      requested_start(*get_string(position, "Type"), get_string(position, "SequenceNumber"),
                      get_integer(position, "Timestamp"));
  if (auto* e = std::get_if<api_error>(&start)) return respond(std::move(*e));
  auto opened =
      shard_subscription::open(ctx, *consumer, *index, std::get<engine::start_request>(start));
  if (auto* e = std::get_if<api_error>(&opened)) return respond(std::move(*e));
  respond(push_reply{std::move(std::get<std::shared_ptr<shard_subscription>>(opened))});
}

}  // namespace
}  // namespace subscribe_to_shard_action

const action subscribe_to_shard{"SubscribeToShard", &subscribe_to_shard_action::request, false,
                                &subscribe_to_shard_action::handle};

}  // namespace spate::api::actions
