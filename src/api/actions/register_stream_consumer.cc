// RegisterStreamConsumer: a consumer for enhanced fan-out (SubscribeToShard), CREATING first.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/consumers.h"

namespace spate::api::actions {
namespace register_stream_consumer_action {
namespace {

const shape request{{
    stream_arn_member(true),
    consumer_name_member(true),
}};

void handle(action_context& ctx, value& req, responder respond) {
  auto stream = ctx.engine.stream_name_from_arn(*get_string(req, "StreamARN"));
  if (!stream) return respond(from_failure(stream.error()));
  auto consumer = ctx.engine.register_consumer(*stream, *get_string(req, "ConsumerName"));
  if (!consumer) return respond(from_failure(consumer.error()));
  respond(value::object().add("Consumer", consumer_description(*consumer)));
}

}  // namespace
}  // namespace register_stream_consumer_action

const action register_stream_consumer{"RegisterStreamConsumer",
                                      &register_stream_consumer_action::request, true,
                                      &register_stream_consumer_action::handle};

}  // namespace spate::api::actions
