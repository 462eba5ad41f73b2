// json_fast_path: PutRecords decoded straight from JSON into records, without a value tree,
// for the request every producer sends: a Records array of well-formed entries and a stream
// name or ARN. Anything else (an unknown, repeated or null member, a wrong type, any
// constraint the schema would report) makes it decline, and the generic path (schema.h) answers
// instead, so both paths give identical answers and errors are written in one place only.
#pragma once

#include "api/action.h"
#include "api/put_records_entries.h"

#include <string_view>

namespace spate::api {

// Reads `body` into `out` without touching the engine; false (leaving `out` unspecified) to
// decline it, for the generic path to answer. The record checks of actions::check_record
// (hash-key range, record size) are not made here: they answer with errors of their own.
bool parse_put_records_json(std::string_view body, parsed_put_records& out);

// True if the request was handled (and `respond` will be called); false to decline.
bool try_put_records_json(std::string_view body, action_context& ctx, const responder& respond);

}  // namespace spate::api
