// errors: the only place where failures become Kinesis errors: an AWS `__type`, an HTTP
// status and a message, in the JSON shape the SDKs parse ({"__type": ..., "message": ...};
// SerializationException alone spells its key "Message", as AWS does).
#pragma once

#include "engine/failure.h"

#include <string>
#include <string_view>

namespace spate::api {

struct api_error {
  std::string_view type;  // e.g. "ResourceNotFoundException"
  std::string message;    // empty: the body carries no message member
  unsigned status = 400;
  std::string_view message_key = "message";
};

api_error from_failure(const engine::failure& f);
api_error serialization_error(std::string message = {});
api_error validation_error(std::string message);
api_error invalid_argument(std::string message);
api_error resource_not_found(std::string message);
api_error unknown_operation();
api_error internal_failure();

// {"__type":"...","message":"..."}
std::string error_body(const api_error& e);

}  // namespace spate::api
