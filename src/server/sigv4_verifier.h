// sigv4_verifier: checks the AWS Signature Version 4 of one request, as Kinesis does, when
// spated runs with --auth sigv4. The router calls it before anything else looks at a Kinesis
// request (every POST, whatever the transport: HTTP/1.1, HTTP/2 as beast requests) and before
// a WebSocket subscription opens; a request it rejects is answered with its error and goes no
// further.
//
// Two forms are accepted: an Authorization header (AWS4-HMAC-SHA256 Credential=AKID/date/
// region/service/aws4_request, SignedHeaders=..., Signature=...) and a presigned query string
// (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature and
// optionally X-Amz-Expires), for clients such as browsers that cannot set headers on a
// WebSocket upgrade. The checks run in the order AWS's front end runs them, each failing with
// the error type and message Kinesis gives (all HTTP 400):
//   1. no credentials at all                  MissingAuthenticationTokenException
//   2. missing parts, bad date, bad algorithm IncompleteSignatureException
//   3. clock skew beyond `max_skew` (5 min on Kinesis, 15 by default in spated); Host or
//      X-Amz-Date unsigned; X-Amz-Target or Content-Type present but unsigned (a captured
//      request could otherwise be re-aimed at another action); wrong credential scope (date,
//      region, service, terminator)                            InvalidSignatureException
//   4. unknown access key (or any security token: spated has no temporary credentials)
//                                                               UnrecognizedClientException
//   5. signature mismatch                     InvalidSignatureException (with the canonical
//                                             request and string to sign, as AWS shows them)
// The payload hash is always the SHA-256 of the body, as AWS computes it for every service but
// S3: an X-Amz-Content-SHA256 header that differs (or UNSIGNED-PAYLOAD) makes the signature
// fail. The one exception is a presigned request without a body, where UNSIGNED-PAYLOAD (what
// S3-style presigners write) is accepted too, there being nothing to tamper with.
// Steps 1 to 4 need only the header: check_headers() runs them as soon as a request's header
// has arrived, so an unauthenticated client is refused before its body is read.
//
// Thread safety: verify() may be called from any thread at once; the signing-key cache is
// guarded by a mutex.
#pragma once

#include "api/errors.h"
#include "server/credentials.h"
#include "server/net.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace spate::server {

struct sigv4_options {
  std::string region = "us-east-1";  // the only region a credential may be scoped to
  std::string service = "kinesis";
  // How far the request's time may be from the server's, either way. spated's default
  // (--auth-max-skew-s) is 15 minutes; AWS Kinesis answers "Signature expired" past 5.
  std::chrono::seconds max_skew{300};
  // The server's clock; empty: std::chrono::system_clock::now (tests pin it).
  std::function<std::chrono::system_clock::time_point()> clock;
};

class sigv4_verifier {
 public:
  using request = http::request<http::string_body>;

  sigv4_verifier(credential_store keys, sigv4_options options);

  // nullopt when `req` is signed by a known key; otherwise the error to answer with.
  std::optional<api::api_error> verify(const request& req) const;
  // Steps 1 to 4 only: what can be checked before the body arrives (the signature's presence
  // and shape, its time, scope and signed headers, the key). A request that passes may still
  // fail verify(); one that fails here is refused before a byte of its body is read.
  std::optional<api::api_error> check_headers(const request& req) const;

  const credential_store& keys() const { return keys_; }

  // `target` without the presigning parameters (X-Amz-*), for handlers that parse the rest.
  static std::string strip_presign_parameters(std::string_view target);

 private:
  struct presented_signature;
  struct examined;
  std::variant<api::api_error, examined> examine(const request& req) const;
  std::chrono::system_clock::time_point now() const;
  // kSigning for (key, date), derived once per day and cached (region and service are fixed).
  std::string signing_key(std::string_view access_key_id, std::string_view secret,
                          std::string_view date) const;

  const credential_store keys_;
  const sigv4_options options_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::string> key_cache_;  // GUARDED_BY(mu_)
};

}  // namespace spate::server
