// sigv4: AWS Signature Version 4 signing of a request, as botocore signs it.
//
// The steps (AWS "Create a signed AWS API request"): canonical request = method, URI path,
// canonical query string, canonical headers (lower-case names, trimmed values, sorted),
// signed header names, hex SHA-256 of the payload; string to sign = "AWS4-HMAC-SHA256",
// ISO8601 time, scope (date/region/service/aws4_request), hex SHA-256 of the canonical
// request; signing key = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
#pragma once

#include "client/transport.h"

#include <spate/client/options.h>

#include <chrono>
#include <string>

namespace spate::client::detail {

struct signing_scope {
  std::string region;
  std::string service = "kinesis";
};

// Adds X-Amz-Date, X-Amz-Security-Token (temporary credentials) and Authorization to
// `request`, signing every header it carries plus Host (`host_header`). `now` is the signing
// time (UTC).
void sign_request(http_request& request, const std::string& host_header, const credentials& creds,
                  const signing_scope& scope, std::chrono::system_clock::time_point now);

// The intermediate texts, for tests and debugging.
struct signature_parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // hex
  std::string authorization;
};
signature_parts compute_signature(const http_request& request, const std::string& host_header,
                                  const credentials& creds, const signing_scope& scope,
                                  std::chrono::system_clock::time_point now);

}  // namespace spate::client::detail
