// json_codec: the JSON 1.1 wire codec (application/x-amz-json-1.1): request bytes to a
// value, and a value to response bytes.
//
// Decoding keeps JSON strings as strings (base64 blobs are decoded by the action that expects
// them); integers that fit int64 stay integers, other numbers become doubles. Encoding writes
// blobs as base64 strings and doubles in their shortest round-trip form.
//
// Thread safety: decode uses a parser per thread; both functions may be called concurrently.
#pragma once

#include "api/value.h"

#include <optional>
#include <string>
#include <string_view>

namespace spate::api {

struct json_error {
  std::string message;  // what simdjson reported, for the server log
};

// Parses `body`; an empty body is an empty object, as AWS treats it.
std::optional<value> decode_json(std::string_view body, json_error* error = nullptr);

void encode_json(const value& v, std::string& out);
std::string encode_json(const value& v);

// Appends `text` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string_view text, std::string& out);

}  // namespace spate::api
