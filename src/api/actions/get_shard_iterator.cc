// GetShardIterator: an opaque iterator at TRIM_HORIZON, LATEST, AT_/AFTER_SEQUENCE_NUMBER or
// AT_TIMESTAMP of one shard.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace get_shard_iterator_action {
namespace {

const shape request{{
    shard_id_member("ShardId", true),
    {.name = "ShardIteratorType",
     .required = true,
     .one_of = {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER",
                "TRIM_HORIZON"}},
    {.name = "StartingSequenceNumber", .matches = pattern::sequence_number},
    stream_name_member(),
    {.name = "Timestamp", .type = member_type::timestamp},
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  auto start =
      requested_start(*get_string(req, "ShardIteratorType"),
                      get_string(req, "StartingSequenceNumber"), get_integer(req, "Timestamp"));
  if (auto* e = std::get_if<api_error>(&start)) return respond(std::move(*e));
  const std::string& shard = *get_string(req, "ShardId");
  const auto index = kinesis::lenient_shard_index(shard);
  if (!index) return respond(shard_not_parsed(ctx, shard, *name));
  auto& from = std::get<engine::start_request>(start);
  auto iterator = ctx.engine.get_shard_iterator(
      {*name, *index, from.type, std::move(from.sequence_number), from.timestamp_ms});
  if (!iterator) return respond(from_failure(iterator.error()));
  respond(value::object().add("ShardIterator", value::string(std::move(*iterator))));
}

}  // namespace
}  // namespace get_shard_iterator_action

const action get_shard_iterator{"GetShardIterator", &get_shard_iterator_action::request, false,
                                &get_shard_iterator_action::handle};

}  // namespace spate::api::actions
