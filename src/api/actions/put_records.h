// put_records: the part of PutRecords that follows decoding, shared by the generic path
// (schema.h over a value) and codecs' fast paths (json_fast_path.h), so both answer alike.
#pragma once

#include "api/action.h"

#include <span>
#include <string>

namespace spate::api::actions {

// Appends records whose members already passed the schema and check_record (common.h) to
// the stream named by StreamName and/or StreamARN (either may be null), and answers once
// they reach the commit point. `records` need only stay valid until this returns.
void put_checked_records(action_context& ctx, const std::string* stream_name,
                         const std::string* stream_arn,
                         std::span<const storage::record_input> records, responder respond);

}  // namespace spate::api::actions
