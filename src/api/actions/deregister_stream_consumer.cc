// DeregisterStreamConsumer: the consumer goes DELETING, then away; its subscriptions end.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/consumers.h"

namespace spate::api::actions {
namespace deregister_stream_consumer_action {
namespace {

void handle(action_context& ctx, value& req, responder respond) {
  auto key = requested_consumer(ctx, req);
  if (auto* e = std::get_if<api_error>(&key)) return respond(std::move(*e));
  auto done = ctx.engine.deregister_consumer(std::get<engine::consumer_key>(key));
  if (!done) return respond(from_failure(done.error()));
  respond(no_content());
}

}  // namespace
}  // namespace deregister_stream_consumer_action

const action deregister_stream_consumer{"DeregisterStreamConsumer", &consumer_lookup_request, true,
                                        &deregister_stream_consumer_action::handle};

}  // namespace spate::api::actions
