// json_codec: the JSON 1.1 wire codec (application/x-amz-json-1.1): request bytes to a
// value, and a value to response bytes.
//
// Decoding keeps JSON strings as strings (base64 blobs are decoded by the action that expects
// them); integers that fit int64 stay integers, other numbers become doubles. Encoding writes
// blobs as base64 strings and doubles in their shortest round-trip form.
//
// Thread safety: decode uses a parser per thread; both functions may be called concurrently.
#pragma once

#include "api/encoder.h"
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

// Writes encoder tokens as JSON text appended to a string.
class json_encoder final : public encoder {
 public:
  explicit json_encoder(std::string& out) : out_(out) {}
  void begin_object() override;
  void end_object() override;
  void begin_array() override;
  void end_array() override;
  void key(std::string_view name) override;
  void string(std::string_view text) override;
  void blob(std::string_view bytes) override;
  void integer(std::int64_t i) override;
  void number(double d) override;
  void timestamp(std::int64_t epoch_ms) override;
  void boolean(bool b) override;
  void null() override;

 private:
  void separate();  // a comma before every element but the first of its container
  std::string& out_;
  bool first_ = true;  // no element written yet in the innermost open container
};

// Appends `text` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string_view text, std::string& out);

}  // namespace spate::api
