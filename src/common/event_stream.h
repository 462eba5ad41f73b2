// event_stream: the application/vnd.amazon.eventstream message framing, which SubscribeToShard
// uses to push events over one HTTP response (boto3 reads it with botocore.eventstream).
//
// A message, all integers big-endian:
//
//   offset  size  field
//   0       4     total length: the whole message, these 4 bytes and the final CRC included
//   4       4     headers length: the bytes of all headers together
//   8       4     prelude CRC: CRC-32 (IEEE 802.3, as zlib) of bytes 0..7
//   12      h     headers, one after another (below)
//   12+h    p     payload: p = total - h - 16 (SubscribeToShard: a JSON or CBOR document)
//   12+h+p  4     message CRC: CRC-32 of bytes 0 .. 12+h+p-1 (prelude and its CRC included)
//
// A header: name length (1 byte), name (UTF-8), value type (1 byte), value. Types: 0 true, 1
// false (no value); 2 int8; 3 int16; 4 int32; 5 int64; 6 bytes and 7 string (2-byte length,
// then that many bytes); 8 timestamp (int64 ms); 9 UUID (16 bytes). spated writes only
// strings (type 7); the decoder reads every type, keeping the raw value bytes.
//
// SubscribeToShard's messages carry ":message-type" ("event" or "exception"), ":event-type"
// ("initial-response", "SubscribeToShardEvent") or ":exception-type" (an error's __type), and
// ":content-type" ("application/json", or "application/x-amz-cbor-1.1" for CBOR requests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spate::event_stream {

inline constexpr std::size_t prelude_size = 12;
inline constexpr std::size_t max_headers_size = 128u << 10;  // botocore's limits
inline constexpr std::size_t max_payload_size = 16u << 20;

struct header {
  std::string name;
  std::uint8_t type = 7;  // string
  std::string value;      // for non-string types, the value's raw bytes
};

struct message {
  std::vector<header> headers;
  std::string payload;

  // The value of a string header, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
};

using string_headers = std::span<const std::pair<std::string_view, std::string_view>>;

// Appends one message with string headers (name, value) to `out`.
void append_message(std::string& out, string_headers headers, std::string_view payload);

// One message whose payload is `payload_head`, then `shared`, then `payload_tail`, written
// around `shared` without copying it: what comes before it is appended to `head`, what comes
// after it (`payload_tail` and the message CRC) to `tail`. `shared_crc` is crc32(shared),
// computed once by whoever keeps `shared` for many messages; the message CRC joins it to the
// CRCs of this message's own bytes (zlib's crc32_combine) instead of reading `shared` again.
void frame_around(std::string& head, std::string& tail, string_headers headers,
                  std::string_view payload_head, std::string_view shared,
                  std::uint32_t shared_crc, std::string_view payload_tail);

enum class decode_error {
  none,
  prelude_checksum,  // the prelude's CRC does not match
  message_checksum,  // the message's CRC does not match
  bad_length,        // lengths that cannot be, or exceed the limits
  bad_header,        // a header runs past the headers or has an unknown type
};

struct decoded {
  std::optional<message> msg;  // absent while the message is still incomplete (or on error)
  std::size_t consumed = 0;    // bytes of `in` the message took
  decode_error error = decode_error::none;
};

// Decodes the message at the front of `in`. Needs the whole message; until it has arrived the
// result is empty with no error.
decoded decode(std::string_view in);

// CRC-32 as the framing uses it (zlib's).
std::uint32_t crc32(std::string_view bytes);

}  // namespace spate::event_stream
