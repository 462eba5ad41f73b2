// retention: what IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod share: the
// request shape, AWS's bounds (24 to 8760 hours) and the call into the engine.
#pragma once

#include "api/action.h"

namespace spate::api::actions {

inline constexpr std::int64_t min_retention_hours = 24;
inline constexpr std::int64_t max_retention_hours = 8760;

extern const shape retention_request;

void change_retention(action_context& ctx, value& req, engine::retention_change change,
                      responder respond);

}  // namespace spate::api::actions
