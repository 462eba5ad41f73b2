// cbor_fast_path: PutRecords decoded straight from CBOR (application/x-amz-cbor-1.1, what the
// AWS SDK for Java v2 and the KCL send) into records, without a value tree: the twin of
// json_fast_path.h. It reads a map of Records (an array of maps of Data as a byte string,
// PartitionKey and ExplicitHashKey as text) and StreamName or StreamARN, with definite or
// indefinite-length maps and arrays (the Java SDK writes indefinite ones) and definite-length
// strings. Anything else (an unknown, repeated or null member, another type, an indefinite
// string, a tag, any constraint the schema would report, bytes after the map) makes it
// decline, and the generic path (cbor_codec.h, schema.h) answers instead.
#pragma once

#include "api/action.h"
#include "api/put_records_entries.h"

#include <string_view>

namespace spate::api {

// Reads `body` into `out` without touching the engine; false (leaving `out` unspecified) to
// decline it.
bool parse_put_records_cbor(std::string_view body, parsed_put_records& out);

// True if the request was handled (and `respond` will be called); false to decline.
bool try_put_records_cbor(std::string_view body, action_context& ctx, const responder& respond);

}  // namespace spate::api
