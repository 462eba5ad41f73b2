// IncreaseStreamRetentionPeriod: sets a stream's retention (24 to 8760 hours), refusing to
// go the other way (see retention.h).
#include "api/actions/actions.h"
#include "api/actions/retention.h"

namespace spate::api::actions {
namespace increase_stream_retention_period_action {
namespace {

void handle(action_context& ctx, value& req, responder respond) {
  change_retention(ctx, req, engine::retention_change::increase, std::move(respond));
}

}  // namespace
}  // namespace increase_stream_retention_period_action

const action increase_stream_retention_period{"IncreaseStreamRetentionPeriod", &retention_request,
                                              true,
                                              &increase_stream_retention_period_action::handle};

}  // namespace spate::api::actions
