// json_fast_path: PutRecords decoded straight from JSON into records, without a value tree,
// for the request every producer sends: a Records array of well-formed entries and a stream
// name or ARN. Anything else (an unknown or null member, a wrong type, any constraint the
// schema would report) makes it decline, and the generic path (schema.h) answers instead, so
// both paths give identical answers and errors are written in one place only.
#pragma once

#include "api/action.h"

#include <string_view>

namespace spate::api {

// True if the request was handled (and `respond` will be called); false to decline.
bool try_put_records_json(std::string_view body, action_context& ctx, const responder& respond);

}  // namespace spate::api
