// DescribeStreamConsumer: one consumer, by ARN or by stream ARN and name.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/consumers.h"

namespace spate::api::actions {
namespace describe_stream_consumer_action {
namespace {

void handle(action_context& ctx, value& req, responder respond) {
  auto key = requested_consumer(ctx, req);
  if (auto* e = std::get_if<api_error>(&key)) return respond(std::move(*e));
  auto consumer = ctx.engine.describe_consumer(std::get<engine::consumer_key>(key));
  if (!consumer) return respond(from_failure(consumer.error()));
  value description = consumer_description(*consumer);
  description.add("StreamARN", value::string(ctx.engine.stream_arn(consumer->stream)));
  respond(value::object().add("ConsumerDescription", std::move(description)));
}

}  // namespace
}  // namespace describe_stream_consumer_action

const action describe_stream_consumer{"DescribeStreamConsumer", &consumer_lookup_request, false,
                                      &describe_stream_consumer_action::handle};

}  // namespace spate::api::actions
