// cbor_codec: the CBOR wire codec (application/x-amz-cbor-1.1, RFC 8949), which the AWS SDK for
// Java v2 and the KCL use for Kinesis by default: request bytes to a value, and encoder tokens
// to response bytes.
//
// Decoding is strict: every length is checked against the bytes left before anything is
// allocated, nesting (arrays, maps and tags together) is limited to max_cbor_depth, and a
// malformed document is refused with a named cbor_errc and the offset where it went wrong.
// Mapping to value:
//   unsigned / negative integers  integer (outside int64: number, as json_codec does)
//   byte string                   blob (indefinite length: its definite chunks, concatenated)
//   text string                   string (must be UTF-8; indefinite: chunks concatenated)
//   array, map                    array, object (definite or indefinite; map keys must be text)
//   false, true, null, undefined  boolean, boolean, null, null
//   half, single, double float    number
//   tag 1 (epoch time)            timestamp, its content read as epoch MILLISECONDS (below)
//   tags 2 and 3 (bignums)        integer when the value fits int64, else number (lossy, as a
//                                 JSON number that large would be)
//   any other tag                 its content, the tag ignored (as Jackson's CBOR parser does)
// Other simple values (0..19, 24 and up) and the reserved additional information 28..30 are
// refused.
//
// Timestamps. AWS's CBOR 1.1 protocol does not follow RFC 8949 section 3.4.2 (tag 1 counts
// seconds): both directions carry tag 1 around an INTEGER number of epoch MILLISECONDS.
// - The Java SDK v2 writes request timestamps that way (aws-sdk-java-v2
//   core/protocols/aws-cbor-protocol/.../SdkCborGenerator.java: writeTag(1) then
//   writeNumber(instant.toEpochMilli())), and so did SDK v1.
// - It reads response timestamps as UNIX_TIMESTAMP_MILLIS (AwsCborProtocolFactory's default
//   payload timestamp format: "CBOR uses epoch millis for timestamps rather than epoch seconds
//   with millisecond decimal precision like JSON protocols"), parsing the number's text with
//   Long.parseLong, so a float there would fail to parse: the encoder writes tag 1 + integer.
// - Known as a spec deviation: aws-sdk-java-v2 issue #4661 (a GetShardIterator AT_TIMESTAMP
//   decoded as year 54865 by a server that read seconds), PR #186 and #979 (the SDK fixed its
//   own reading to milliseconds); LocalStack and other emulators scale tag 1 by 1000.
// So tag 1 (integer or float content) decodes to value::timestamp(milliseconds); an untagged
// number in a timestamp member is milliseconds too on this codec (schema.h's normalize takes
// the unit from the codec), unlike JSON's epoch seconds. (Smithy's newer rpcv2Cbor protocol,
// application/cbor, uses tag 1 + seconds as the RFC says; Kinesis does not speak it.)
//
// Encoding writes definite lengths (containers get their count patched in when they close),
// integers and lengths in their shortest form, blobs as byte strings, doubles as float64,
// timestamps as tag 1 + integer milliseconds.
//
// Thread safety: decode_cbor may be called concurrently; an encoder belongs to one response.
#pragma once

#include "api/decode_guide.h"
#include "api/encoder.h"
#include "api/value.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::api {

// The major types of CBOR items (RFC 8949, section 3.1): the top three bits of an item's head.
namespace cbor_major {
inline constexpr std::uint8_t unsigned_integer = 0, negative_integer = 1, bytes = 2, text = 3,
                              array = 4, map = 5, tag = 6, simple = 7;
}  // namespace cbor_major

// Nesting a request may have: arrays, maps and tags, together. Kinesis requests nest at most
// 4 deep; this stops a stack-exhausting document long before the stack does.
inline constexpr std::size_t max_cbor_depth = 64;

enum class cbor_errc {
  truncated = 1,        // the document ends inside an item
  bad_additional_info,  // additional information 28..30, or 31 where no indefinite form is
  trailing_bytes,       // bytes after the one top-level item
  non_string_map_key,   // a map key that is not a text string
  too_deep,             // nesting beyond max_cbor_depth
  unexpected_break,     // a break (0xff) outside an indefinite-length item
  bad_chunk,            // an indefinite string chunk of another type, or itself indefinite
  invalid_utf8,         // a text string that is not UTF-8
  bad_simple_value,     // a simple value other than false, true, null and undefined
  bad_timestamp,        // tag 1 around something other than a number, or out of range
  bad_bignum,           // tag 2 or 3 around something other than a byte string
};

// The error's name ("truncated", "non_string_map_key", ...), for messages and tests.
std::string_view cbor_errc_name(cbor_errc e);

struct cbor_error {
  cbor_errc code{};
  std::size_t offset = 0;  // where the offending item (or the missing bytes) starts
  // "CBOR <name> at byte <offset>: <what>", for the SerializationException and the log.
  std::string message() const;
};

// Decodes one CBOR item that must fill `body` exactly, building what `guide` asks for
// (decode_guide.h): what it skips is walked for well-formedness but never built, so a body
// costs memory for what the action reads only.
std::optional<value> decode_cbor(std::string_view body, const decode_guide& guide,
                                 cbor_error* error = nullptr);
// The whole document (decode_guide::everything()).
std::optional<value> decode_cbor(std::string_view body, cbor_error* error = nullptr);

void encode_cbor(const value& v, std::string& out);
std::string encode_cbor(const value& v);

// Writes encoder tokens as CBOR appended to a string. Containers are written with definite
// lengths: a one-byte header is reserved when one opens and patched (or widened, moving the
// container's bytes once) when it closes.
class cbor_encoder final : public encoder {
 public:
  explicit cbor_encoder(std::string& out) : out_(out) {}
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

 private:
  struct open_container {
    std::size_t header;  // offset of the container's header byte in out_
    std::uint64_t count;
    bool map;
  };
  void item();  // an element (or, for maps, a key) is about to be written
  void begin(std::uint8_t major, bool map);
  void end();
  std::string& out_;
  std::vector<open_container> open_;
};

}  // namespace spate::api
