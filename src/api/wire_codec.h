// wire_codec: the wire formats a Kinesis request may come in, chosen by its Content-Type; the
// answer (errors included) goes out in the request's format.
//
//   application/x-amz-json-1.1, application/json   json (json_codec.h); answers carry
//                                                  application/x-amz-json-1.1
//   application/x-amz-cbor-1.1                     cbor (cbor_codec.h): the Java SDK v2, KCL
//
// Parameters after the media type (";charset=...") are ignored.
#pragma once

#include "api/encoder.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spate::api {

enum class wire_codec { json, cbor };

// The codec of a request's Content-Type, or nullopt for a type Kinesis does not accept.
std::optional<wire_codec> codec_for_content_type(std::string_view content_type);
// Whether the media type is "application/json" (served as JSON 1.1, but not JSON 1.1 itself).
bool is_plain_json(std::string_view content_type);
// The Content-Type of an answer in `codec`.
std::string_view content_type_of(wire_codec codec);
// An encoder that appends to `out` in `codec`.
std::unique_ptr<encoder> make_encoder(wire_codec codec, std::string& out);

}  // namespace spate::api
