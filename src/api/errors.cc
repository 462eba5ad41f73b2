// errors: engine failure kinds to AWS error types, and the error body.
#include "api/errors.h"

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

}  // namespace spate::api
