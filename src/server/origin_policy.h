// origin_policy: what a web page from another origin may do here. Browsers send `Origin` with
// every cross-site request that could change state or read an answer (POST, WebSocket
// upgrades), and honour the CORS headers of the answer; a page's own origin is the server's
// (scheme, host and port as the browser reached it, which the Host header carries).
//
// - The dashboard's state-changing requests, WebSocket subscriptions and Kinesis requests that
//   carry an Origin are allowed from the same origin, from origins listed with --allow-origin,
//   and from clients that send no Origin at all (not a browser: the AWS CLI, SDKs, curl).
//   Others are refused 403.
// - The Kinesis API answers CORS (preflight OPTIONS, Access-Control-Allow-Origin and
//   Access-Control-Expose-Headers on answers) only for listed origins; "*" allows every origin
//   and is honoured only when given explicitly.
// - DNS rebinding: without authentication, "the same origin" counts only when the Host is an
//   IP address, `localhost`, or the host of a listed origin, and the dashboard answers only
//   such requests, so a page whose name its owner points at 127.0.0.1 cannot pass as the same
//   origin (it would be, to the browser) and read streams.
//
// Thread safety: immutable after construction.
#pragma once

#include "server/net.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spate::server {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

class origin_policy {
 public:
  // Origins as browsers send them ("https://app.example.com", "http://127.0.0.1:8080"), or
  // "*". Trailing slashes are dropped. An entry that is not an origin is an error message.
  static std::variant<origin_policy, std::string> make(std::vector<std::string> allowed);
  origin_policy() = default;

  // Whether a browser request may act on the dashboard, subscribe or call the API (see
  // above); `check_host`: same-origin requests must also have a trusted Host (without auth).
  bool allows(const request& req, bool check_host) const;
  // Whether `Host` is one the dashboard answers without authentication (see above).
  bool trusted_host(const request& req) const;

  // The answer to a CORS preflight (OPTIONS): 204 with the Access-Control-Allow-* headers when
  // the origin is listed, 403 without them otherwise.
  response preflight(const request& req) const;
  // The CORS headers an answer to `origin` carries, empty when it carries none.
  std::optional<std::string> cors_origin(std::string_view origin) const;
  static void add_cors_headers(response& res, std::string_view allow_origin);

  const std::vector<std::string>& allowed() const { return allowed_; }

 private:
  bool listed(std::string_view origin) const;

  std::vector<std::string> allowed_;
  bool any_ = false;  // "*" was listed
};

}  // namespace spate::server
