// GetShardIterator: an opaque iterator at TRIM_HORIZON, LATEST, AT_/AFTER_SEQUENCE_NUMBER or
// AT_TIMESTAMP of one shard.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "common/clock.h"

#include <fmt/format.h>

namespace spate::api::actions {
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
  const std::string& type = *get_string(req, "ShardIteratorType");
  const std::string* sequence = get_string(req, "StartingSequenceNumber");
  const bool wants_sequence = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (wants_sequence != (sequence != nullptr) && type != "AT_TIMESTAMP") {
    return respond(invalid_argument(fmt::format(
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified {} and {}.",
        type, sequence ? "also a StartingSequenceNumber" : "no StartingSequenceNumber")));
  }
  engine::iterator_request it;
  it.stream = *name;
  const std::string& shard = *get_string(req, "ShardId");
  const auto index = lenient_shard_index(shard);
  if (!index) return respond(shard_not_parsed(ctx, shard, *name));
  it.shard = *index;
  if (type == "TRIM_HORIZON") {
    it.type = engine::iterator_type::trim_horizon;
  } else if (type == "LATEST") {
    it.type = engine::iterator_type::latest;
  } else if (wants_sequence) {
    it.type = type == "AT_SEQUENCE_NUMBER" ? engine::iterator_type::at_sequence_number
                                           : engine::iterator_type::after_sequence_number;
    it.sequence_number = *sequence;
  } else {
    it.type = engine::iterator_type::at_timestamp;
    const auto ts = get_integer(req, "Timestamp");
    if (!ts) {
      return respond(invalid_argument(
          "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
          "request has no timestamp parameter."));
    }
    const std::int64_t now = now_ms();
    if (*ts > now) {
      return respond(invalid_argument(fmt::format(
          "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
          "timestampInMillis: {}, currentTimestampInMillis: {}",
          *ts, now)));
    }
    it.timestamp_ms = *ts;
  }
  auto iterator = ctx.engine.get_shard_iterator(it);
  if (!iterator) return respond(from_failure(iterator.error()));
  respond(value::object().add("ShardIterator", value::string(std::move(*iterator))));
}

}  // namespace

const action get_shard_iterator{"GetShardIterator", &request, false, &handle};

}  // namespace spate::api::actions
