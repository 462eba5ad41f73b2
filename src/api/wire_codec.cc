// wire_codec: Content-Type to codec, and the codec's encoder.
#include "api/wire_codec.h"

#include "api/cbor_codec.h"
#include "api/json_codec.h"

namespace spate::api {

namespace {

// The media type without parameters or surrounding spaces.
std::string_view media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  return type;
}

}  // namespace

bool is_plain_json(std::string_view content_type) {
  return media_type(content_type) == "application/json";
}

std::optional<wire_codec> codec_for_content_type(std::string_view content_type) {
  const auto type = media_type(content_type);
  if (type == "application/x-amz-json-1.1" || type == "application/json") return wire_codec::json;
  if (type == "application/x-amz-cbor-1.1") return wire_codec::cbor;
  return std::nullopt;
}

std::string_view content_type_of(wire_codec codec) {
  return codec == wire_codec::cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1";
}

std::unique_ptr<encoder> make_encoder(wire_codec codec, std::string& out) {
  if (codec == wire_codec::cbor) return std::make_unique<cbor_encoder>(out);
  return std::make_unique<json_encoder>(out);
}

}  // namespace spate::api
