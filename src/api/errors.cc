// errors: engine failure kinds to AWS error types, and the error body.
#include "api/errors.h"

#include "api/cbor_codec.h"
#include "api/json_codec.h"

namespace spate::api {

api_error from_failure(const engine::failure& f) {
  using engine::failure_kind;
  switch (f.kind) {
    case failure_kind::resource_not_found:
      return {"ResourceNotFoundException", f.message};
    case failure_kind::resource_in_use:
      return {"ResourceInUseException", f.message};
    case failure_kind::limit_exceeded:
      return {"LimitExceededException", f.message};
    case failure_kind::invalid_argument:
      return {"InvalidArgumentException", f.message};
    case failure_kind::expired_iterator:
      return {"ExpiredIteratorException", f.message};
    case failure_kind::expired_next_token:
      return {"ExpiredNextTokenException", f.message};
    case failure_kind::throughput_exceeded:
      return {"ProvisionedThroughputExceededException", f.message};
    case failure_kind::internal:
      return {"InternalFailure", f.message, 500};
  }
  return internal_failure();
}

api_error serialization_error(std::string message) {
  return {"SerializationException", std::move(message), 400, "Message"};
}
api_error validation_error(std::string message) {
  return {"ValidationException", std::move(message)};
}
api_error invalid_argument(std::string message) {
  return {"InvalidArgumentException", std::move(message)};
}
api_error resource_not_found(std::string message) {
  return {"ResourceNotFoundException", std::move(message)};
}
api_error unknown_operation() {
  return {"UnknownOperationException", {}};
}
api_error internal_failure() {
  return {"InternalFailure", {}, 500};
}

api_error service_unavailable(std::string message) {
  return {"ServiceUnavailable", std::move(message), 503};
}

api_error missing_authentication_token() {
  return {"MissingAuthenticationTokenException", "Missing Authentication Token"};
}
api_error incomplete_signature(std::string message) {
  return {"IncompleteSignatureException", std::move(message)};
}
api_error invalid_signature(std::string message) {
  return {"InvalidSignatureException", std::move(message)};
}
api_error unrecognized_client() {
  return {"UnrecognizedClientException", "The security token included in the request is invalid."};
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
