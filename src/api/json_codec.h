// json_codec: the JSON 1.1 wire codec (application/x-amz-json-1.1): request bytes to a
// value, and a value to response bytes.
//
// Decoding keeps JSON strings as strings (base64 blobs are decoded by the action that expects
// them); integers that fit int64 stay integers, other numbers become doubles. Encoding writes
// blobs as base64 strings and doubles in their shortest round-trip form.
//
// Thread safety: decode uses a parser per thread; both functions may be called concurrently.
#pragma once

#include "api/decode_guide.h"
#include "api/encoder.h"
#include "api/value.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace simdjson::dom {
class parser;
}

namespace spate::api {

struct json_error {
  std::string message;  // what simdjson reported, for the server log
};

// What a document over 1 MiB may hold: every element takes a ',' or opens with '[' or '{' (but
// the first), so counting those bytes (json_elements_bound) before parsing bounds the parser's
// work and memory by a small multiple of this cap, whatever the body's size (a smaller body
// bounds them itself). The largest legal request
// (PutRecords: 500 records of three members, partition keys of 256 commas each) stays well
// below it; a document beyond it is refused as malformed without being parsed.
inline constexpr std::size_t max_json_elements = 300'000;
// An upper bound on the elements of `body` (counts the bytes above, inside strings too).
std::size_t json_elements_bound(std::string_view body);
// Whether `body` may be parsed: at most max_json_elements, or small enough (1 MiB) that the
// count is not worth taking.
bool json_elements_within_bounds(std::string_view body);

// Parses `body` into what `guide` asks for (decode_guide.h); an empty body is an empty object,
// as AWS treats it. Refuses documents over max_json_elements.
std::optional<value> decode_json(std::string_view body, const decode_guide& guide,
                                 json_error* error = nullptr);
// The whole document (decode_guide::everything()).
std::optional<value> decode_json(std::string_view body, json_error* error = nullptr);

// A parser that took in a large document gives its buffers back (they would stay with the
// thread otherwise): parsers kept per thread call this after each parse.
inline constexpr std::size_t retained_parser_capacity = 1u << 20;
void release_large_parser(simdjson::dom::parser& parser);

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
  void encoded(std::string_view value_bytes) override;
  std::unique_ptr<encoder> same_codec(std::string& out) const override;
  // For a caller that writes one whole value itself (json_records.h): writes the comma that
  // goes before the value, if one does, and returns the text to append the value to.
  std::string& value_buffer();

 private:
  void separate();  // a comma before every element but the first of its container
  std::string& out_;
  bool first_ = true;  // no element written yet in the innermost open container
};

// Appends `text` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string_view text, std::string& out);
// The same literal in two steps, for text written by hand: its size in bytes, then the literal
// written at `out`, which has that many bytes; returns the end.
std::size_t json_string_size(std::string_view text);
char* write_json_string(std::string_view text, char* out);

// A timestamp as this codec writes it, epoch seconds with the milliseconds after a point when
// there are any (1.5, not 1.500), written at `out`; returns the end.
inline constexpr std::size_t max_json_timestamp_size = 25;  // '-', 20 digits, '.', 3 digits
char* write_json_timestamp(std::int64_t epoch_ms, char* out);

}  // namespace spate::api
