// retention: what IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod share: the
// request shape, AWS's bounds (24 to 8760 hours) and the call into the engine.
#pragma once

#include "api/action.h"

namespace spate::api::actions {

extern const shape retention_request;

void change_retention(action_context& ctx, value& req, engine::retention_change change,
                      responder respond);

}  // namespace spate::api::actions
