// origin_policy: same-origin and listed-origin checks, and the CORS headers.
#include "server/origin_policy.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace spate::server {
namespace {

// The headers a browser page may read from an answer: the ones the AWS SDKs look at.
constexpr std::string_view exposed_headers =
    "x-amzn-RequestId, x-amzn-ErrorType, x-amz-id-2, x-amz-request-id, Date";

// "host:port" of an origin ("http://h:p" -> "h:p"), or nullopt if it is not one.
std::optional<std::string_view> origin_authority(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.starts_with(scheme)) {
      auto rest = origin.substr(scheme.size());
      if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) return {};
      return rest;
    }
  }
  return {};
}

// The host of "host:port", "[v6]:port" or "host".
std::string_view host_part(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(1, close - 1);
  }
  const auto colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

bool ip_literal(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

}  // namespace

std::variant<origin_policy, std::string> origin_policy::make(std::vector<std::string> allowed) {
  origin_policy p;
  for (auto& o : allowed) {
    while (o.size() > 1 && o.back() == '/') o.pop_back();
    if (o == "*") {
      p.any_ = true;
    } else if (!origin_authority(o)) {
      return "--allow-origin " + o + " is not an origin (scheme://host[:port], or *)";
    }
    p.allowed_.push_back(o);
  }
  return p;
}

bool origin_policy::listed(std::string_view origin) const {
  if (any_) return true;
  return std::any_of(allowed_.begin(), allowed_.end(), [&](const std::string& a) {
    return a.size() == origin.size() &&
           std::equal(a.begin(), a.end(), origin.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  });
}

bool origin_policy::allows(const request& req, bool check_host) const {
  const auto found = req.find(http::field::origin);
  if (found == req.end()) return true;  // not a browser
  const std::string_view origin = found->value();
  if (listed(origin)) return true;
  const auto authority = origin_authority(origin);
  const std::string_view host = req[http::field::host];
  return authority && !host.empty() && beast::iequals(*authority, host) &&
         (!check_host || trusted_host(req));
}

bool origin_policy::trusted_host(const request& req) const {
  const std::string_view host = host_part(req[http::field::host]);
  if (host.empty()) return true;  // HTTP/1.0 without Host: not a browser
  if (beast::iequals(host, "localhost") || ip_literal(host)) return true;
  return std::any_of(allowed_.begin(), allowed_.end(), [&](const std::string& a) {
    const auto authority = origin_authority(a);
    return authority && beast::iequals(host_part(*authority), host);
  });
}

std::optional<std::string> origin_policy::cors_origin(std::string_view origin) const {
  if (origin.empty() || !listed(origin)) return std::nullopt;
  return any_ && !std::count(allowed_.begin(), allowed_.end(), std::string(origin))
             ? std::string("*")
             : std::string(origin);
}

void origin_policy::add_cors_headers(response& res, std::string_view allow_origin) {
  res.set(http::field::access_control_allow_origin, allow_origin);
  res.set(http::field::access_control_expose_headers, exposed_headers);
  res.set(http::field::vary, "Origin");
}

response origin_policy::preflight(const request& req) const {
  response res{http::status::no_content, req.version()};
  res.set(http::field::server, "spated");
  res.keep_alive(req.keep_alive());
  const auto allow = cors_origin(req[http::field::origin]);
  if (!allow) {
    res.result(http::status::forbidden);
    res.set(http::field::content_type, "text/plain");
    res.body() =
        "Cross-origin requests from this origin are not allowed (spated --allow-origin).\n";
    res.prepare_payload();
    return res;
  }
  add_cors_headers(res, *allow);
  res.set(http::field::access_control_allow_methods, "POST, GET, OPTIONS");
  // The SDKs send their own headers (X-Amz-Target, X-Amz-Date, Authorization, amz-sdk-*):
  // every header the preflight asks for is allowed, as AWS's endpoints do.
  const std::string_view asked = req[http::field::access_control_request_headers];
  if (!asked.empty()) res.set(http::field::access_control_allow_headers, asked);
  res.set(http::field::access_control_max_age, "86400");
  res.prepare_payload();
  return res;
}

}  // namespace spate::server
