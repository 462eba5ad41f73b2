// errors: engine failures and rulebook violations to AWS errors, and the error body.
#include "api/errors.h"

#include "api/cbor_codec.h"
#include "api/json_codec.h"

namespace spate::api {

using kinesis::error_code;
using kinesis::name;

api_error from_failure(const engine::failure& f) {
  return {kinesis::name(f.kind), f.message, kinesis::http_status(f.kind)};
}

api_error from_violation(const kinesis::violation& v) {
  return {kinesis::name(v.code), v.message, kinesis::http_status(v.code)};
}

api_error serialization_error(std::string message) {
  return {name(error_code::serialization), std::move(message), 400, "Message"};
}
api_error validation_error(std::string message) {
  return {name(error_code::validation), std::move(message)};
}
api_error invalid_argument(std::string message) {
  return {name(error_code::invalid_argument), std::move(message)};
}
api_error resource_not_found(std::string message) {
  return {name(error_code::resource_not_found), std::move(message)};
}
api_error unknown_operation() {
  return {name(error_code::unknown_operation), {}};
}
api_error internal_failure() {
  return {name(error_code::internal), {}, 500};
}

api_error service_unavailable(std::string message) {
  return {name(error_code::service_unavailable), std::move(message), 503};
}

api_error missing_authentication_token() {
  return {name(error_code::missing_authentication), "Missing Authentication Token"};
}
api_error incomplete_signature(std::string message) {
  return {name(error_code::incomplete_signature), std::move(message)};
}
api_error invalid_signature(std::string message) {
  return {name(error_code::invalid_signature), std::move(message)};
}
api_error unrecognized_client() {
  return {name(error_code::unrecognized_client),
          "The security token included in the request is invalid."};
}

std::string error_body(const api_error& e) {
  std::string body = "{\"__type\":";
  append_json_string(e.type, body);
  if (!e.message.empty()) {
    body += ',';
    append_json_string(e.message_key, body);
    body += ':';
    append_json_string(e.message, body);
  }
  body += '}';
  return body;
}

std::string error_body(const api_error& e, wire_codec codec) {
  if (codec == wire_codec::json) return error_body(e);
  std::string body;
  cbor_encoder out(body);
  out.begin_object();
  out.key("__type");
  out.string(e.type);
  if (!e.message.empty()) {
    out.key(e.message_key);
    out.string(e.message);
  }
  out.end_object();
  return body;
}

error_answer encode_error(const api_error& e, std::string_view request_content_type) {
  const auto codec = codec_for_content_type(request_content_type).value_or(wire_codec::json);
  return {std::string(content_type_of(codec)), error_body(e, codec)};
}

}  // namespace spate::api
