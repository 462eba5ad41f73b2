// DecreaseStreamRetentionPeriod: sets a stream's retention (24 to 8760 hours), refusing to
// go the other way (see retention.h).
#include "api/actions/actions.h"
#include "api/actions/retention.h"

namespace spate::api::actions {
namespace decrease_stream_retention_period_action {
namespace {

void handle(action_context& ctx, value& req, responder respond) {
  change_retention(ctx, req, engine::retention_change::decrease, std::move(respond));
}

}  // namespace
}  // namespace decrease_stream_retention_period_action

const action decrease_stream_retention_period{"DecreaseStreamRetentionPeriod", &retention_request,
                                              true,
                                              &decrease_stream_retention_period_action::handle};

}  // namespace spate::api::actions
