// consumers: helpers of the enhanced fan-out actions.
#include "api/actions/consumers.h"

#include "api/actions/common.h"

#include <fmt/format.h>

namespace spate::api::actions {

member consumer_name_member(bool required) {
  return {.name = "ConsumerName",
          .required = required,
          .min_length = 1,
          .max_length = 128,
          .matches = pattern::name};
}

member consumer_arn_member(bool required) {
  return {.name = "ConsumerARN",
          .required = required,
          .min_length = 1,
          .max_length = 2048,
          .matches = pattern::consumer_arn};
}

const shape consumer_lookup_request{{
    stream_arn_member(),
    consumer_name_member(false),
    consumer_arn_member(false),
}};

std::variant<engine::consumer_key, api_error> requested_consumer(action_context& ctx,
                                                                 const value& request) {
  const std::string* arn = get_string(request, "ConsumerARN");
  const std::string* stream_arn = get_string(request, "StreamARN");
  const std::string* name = get_string(request, "ConsumerName");
  if (!arn && !(stream_arn && name)) {
    return from_violation(kinesis::consumer_arn_or_stream_and_name_required());
  }
  engine::consumer_key key;
  if (arn) {
    auto parsed = ctx.engine.parse_consumer_arn(*arn);
    if (!parsed) return resource_not_found(fmt::format("Consumer {} not found.", *arn));
    key = std::move(*parsed);
  }
  if (stream_arn) {
    auto stream = ctx.engine.stream_name_from_arn(*stream_arn);
    if (!stream) return from_failure(stream.error());
    if (arn && *stream != key.stream) {
      return invalid_argument(
          fmt::format("ConsumerARN {} does not belong to stream {}.", *arn, *stream_arn));
    }
    key.stream = std::move(*stream);
  }
  if (name) {
    if (arn && *name != key.name) {
      return invalid_argument(fmt::format(
          "ConsumerARN {} and ConsumerName {} do not name the same consumer.", *arn, *name));
    }
    key.name = *name;
  }
  return key;
}

value consumer_description(const metadata::consumer_record& c) {
  return value::object()
      .add("ConsumerName", value::string(c.name))
      .add("ConsumerARN", value::string(c.arn))
      .add("ConsumerStatus", value::string(std::string(to_string(c.status))))
      .add("ConsumerCreationTimestamp", value::timestamp(c.created_ms));
}

}  // namespace spate::api::actions
