// errors: the only place where failures become Kinesis errors: an AWS `__type`, an HTTP
// status and a message, in the JSON shape the SDKs parse ({"__type": ..., "message": ...};
// SerializationException alone spells its key "Message", as AWS does).
#pragma once

#include "api/wire_codec.h"
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
api_error from_violation(const kinesis::violation& v);
api_error serialization_error(std::string message = {});
api_error validation_error(std::string message);
api_error invalid_argument(std::string message);
api_error resource_not_found(std::string message);
api_error unknown_operation();
api_error internal_failure();
// The server sheds load (a memory budget is spent, or a request waited too long for its
// turn): HTTP 503, which every AWS SDK retries with backoff.
api_error service_unavailable(std::string message);

// Authentication (SigV4) failures, as Kinesis answers them (HTTP 400, before any action).
api_error missing_authentication_token();             // no Authorization, no presigned query
api_error incomplete_signature(std::string message);  // malformed or missing parts
api_error invalid_signature(std::string message);     // wrong signature, scope, time or headers
api_error unrecognized_client();                      // unknown access key or security token

// {"__type":"...","message":"..."}
std::string error_body(const api_error& e);
// The same map in the request's codec (CBOR: a map with the same two text keys); the
// JSON overload above stays the fast path.
std::string error_body(const api_error& e, wire_codec codec);

// An error answer to a request that carried `request_content_type`, for refusals made before
// the dispatcher sees the request (authentication, size limits): the Content-Type and body in
// the request's codec, JSON when the type names none.
struct error_answer {
  std::string content_type;
  std::string body;
};
error_answer encode_error(const api_error& e, std::string_view request_content_type);

}  // namespace spate::api
