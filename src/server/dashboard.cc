// dashboard: files, statistics, sessions and the page's Kinesis calls.
#include "server/dashboard.h"

#include "api/errors.h"
#include "common/sigv4.h"
#include "server/web_assets.h"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace spate::server {
namespace {

constexpr std::string_view cookie_name = "spate_session";
constexpr std::string_view csrf_header = "X-Spate-Csrf";
constexpr std::string_view login_csrf = "login";
constexpr std::string_view kinesis_prefix = "Kinesis_20131202.";

// The page's Kinesis calls: reads are allowed in every mode, writes only in `on`.
constexpr std::array<std::string_view, 6> read_actions = {
    "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords", "ListStreamConsumers",
    "DescribeStreamConsumer"};
constexpr std::array<std::string_view, 7> write_actions = {"CreateStream",
                                                           "DeleteStream",
                                                           "SplitShard",
                                                           "MergeShards",
                                                           "UpdateShardCount",
                                                           "IncreaseStreamRetentionPeriod",
                                                           "DecreaseStreamRetentionPeriod"};

// The page's policy: its own scripts, styles and connections only, in no frame.
constexpr std::string_view content_security_policy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

bool contains(std::span<const std::string_view> list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string_view path_of(const request& req) {
  std::string_view target = req.target();
  return target.substr(0, target.find('?'));
}

response answer(const request& req, http::status status, std::string_view content_type,
                std::string body) {
  response res{status, req.version()};
  res.set(http::field::server, "spated");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response error(const request& req, std::string_view type, std::string message, unsigned status) {
  const api::api_error e{type, std::move(message), status, "message"};
  return answer(req, static_cast<http::status>(status), "application/x-amz-json-1.1",
                api::error_body(e));
}

response access_denied(const request& req, std::string message) {
  return error(req, "AccessDeniedException", std::move(message), 403);
}

response login_needed(const request& req) {
  return error(req, "MissingAuthenticationTokenException",
               "The dashboard needs a session: log in with an access key pair from the server's "
               "credentials file.",
               401);
}

// The value of one cookie in the Cookie header(s).
std::optional<std::string_view> cookie(const request& req, std::string_view name) {
  const auto [first, last] = req.equal_range(http::field::cookie);
  for (auto field = first; field != last; ++field) {
    std::string_view rest = field->value();
    while (!rest.empty()) {
      const auto end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string mac_hex(const engine::secret& key, std::string_view message) {
  const auto mac = key.sign(message);
  return sigv4::to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<dashboard_mode> parse_dashboard_mode(std::string_view text) {
  if (text == "on") return dashboard_mode::on;
  if (text == "read-only") return dashboard_mode::read_only;
  if (text == "off") return dashboard_mode::off;
  return std::nullopt;
}

std::string_view to_string(dashboard_mode mode) {
  switch (mode) {
    case dashboard_mode::on:
      return "on";
    case dashboard_mode::read_only:
      return "read-only";
    case dashboard_mode::off:
      break;
  }
  return "off";
}

dashboard::dashboard(dashboard_options options, const engine::secret& key,
                     const origin_policy& origins, const stats* numbers)
    : options_(std::move(options)), key_(key), origins_(origins), numbers_(numbers) {}

bool dashboard::is_dashboard_request(const request& req) {
  const std::string_view path = path_of(req);
  if (req.method() == http::verb::post) {
    return path == "/v1/kinesis" || path == "/v1/login" || path == "/v1/logout";
  }
  if (req.method() != http::verb::get) return false;
  if (path == "/v1/stats" || path == "/v1/session" || path == "/index.html") return true;
  for (const auto& asset : web_assets()) {
    if (asset.path == path) return true;
  }
  return false;
}

bool dashboard::is_kinesis_call(const request& req) {
  return req.method() == http::verb::post && path_of(req) == "/v1/kinesis";
}

std::optional<response> dashboard::check_header(const request& req) const {
  if (options_.mode == dashboard_mode::off) {
    return answer(req, http::status::not_found, "text/plain",
                  "The dashboard is off (spated --dashboard off).\n");
  }
  if (!options_.keys && !origins_.trusted_host(req)) {
    return access_denied(req,
                         "The dashboard answers only requests for localhost, an IP address "
                         "or a host of --allow-origin.");
  }
  if (req.method() != http::verb::post) return std::nullopt;
  if (!origins_.allows(req, !options_.keys)) {
    return access_denied(req, "Requests from this origin are not allowed (spated --allow-origin).");
  }
  const auto length = req.find(http::field::content_length);
  std::uint64_t declared = 0;
  if (req.find(http::field::transfer_encoding) != req.end() || length == req.end() ||
      std::from_chars(length->value().data(), length->value().data() + length->value().size(),
                      declared)
              .ec != std::errc() ||
      declared > max_body_bytes) {
    return error(req, "SerializationException",
                 "A dashboard request needs a Content-Length of at most 65536 bytes.", 413);
  }
  const std::string_view path = path_of(req);
  const std::string_view presented = req[csrf_header];
  if (path == "/v1/login") {
    if (presented != login_csrf) return access_denied(req, "Missing or wrong X-Spate-Csrf token.");
    return std::nullopt;
  }
  const auto session = session_of(req);
  if (options_.keys && !session) return login_needed(req);
  if (!same_secret(presented, csrf_token(session))) {
    return access_denied(req, "Missing or wrong X-Spate-Csrf token.");
  }
  return std::nullopt;
}

std::variant<response, dashboard::forward> dashboard::handle(const request& req) const {
  if (auto refused = check_header(req)) return std::move(*refused);
  const std::string_view path = path_of(req);
  if (req.method() == http::verb::post) {
    if (path == "/v1/login") return login(req);
    if (path == "/v1/logout") return logout(req);
    return kinesis_call(req);
  }
  if (path == "/v1/session") return session_info(req);
  if (path == "/v1/stats") return statistics(req);
  return serve_file(req);
}

std::optional<std::string> dashboard::session_of(const request& req) const {
  if (!options_.keys) return std::nullopt;
  const auto token = cookie(req, cookie_name);
  if (!token) return std::nullopt;
  // <access key id>.<expiry, epoch seconds>.<MAC>
  const auto first = token->find('.');
  const auto second = token->rfind('.');
  if (first == std::string_view::npos || second == first) return std::nullopt;
  const std::string_view key_id = token->substr(0, first);
  const std::string_view expiry_text = token->substr(first + 1, second - first - 1);
  std::int64_t expiry = 0;
  if (std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry).ec !=
          std::errc() ||
      expiry < now_seconds()) {
    return std::nullopt;
  }
  const std::string_view mac = token->substr(second + 1);
  if (!same_secret(mac, mac_hex(key_, "session|" + std::string(token->substr(0, second))))) {
    return std::nullopt;
  }
  if (!options_.keys->secret(key_id)) return std::nullopt;  // the key was removed since
  return std::string(*token);
}

std::string dashboard::make_session(std::string_view access_key_id) const {
  const std::string head = std::string(access_key_id) + "." +
                           std::to_string(now_seconds() + options_.session_lifetime.count());
  return head + "." + mac_hex(key_, "session|" + head);
}

std::string dashboard::csrf_token(const std::optional<std::string>& session) const {
  return mac_hex(key_, "csrf|" + session.value_or("anonymous"));
}

response dashboard::serve_file(const request& req) const {
  std::string_view path = path_of(req);
  if (path == "/index.html") path = "/";
  for (const auto& asset : web_assets()) {
    if (asset.path != path) continue;
    const bool unchanged = req[http::field::if_none_match] == asset.etag;
    response res = answer(req, unchanged ? http::status::not_modified : http::status::ok,
                          asset.content_type, unchanged ? std::string() : std::string(asset.body));
    res.set(http::field::cache_control, "no-cache");  // revalidate: the ETag makes it cheap
    res.set(http::field::etag, asset.etag);
    res.set("Referrer-Policy", "no-referrer");
    if (path == "/") {
      res.set("Content-Security-Policy", content_security_policy);
      res.set("X-Frame-Options", "DENY");
    }
    if (unchanged) res.content_length(boost::none);
    return res;
  }
  return answer(req, http::status::not_found, "text/plain", "Not found.\n");
}

response dashboard::session_info(const request& req) const {
  const auto session = session_of(req);
  const bool authenticated = !options_.keys || session;
  std::string body = R"({"mode":")" + std::string(to_string(options_.mode)) + R"(","auth":")" +
                     (options_.keys ? "sigv4" : "none") + R"(","authenticated":)" +
                     (authenticated ? "true" : "false");
  if (authenticated) body += R"(,"csrf":")" + csrf_token(session) + '"';
  body += R"(,"version":")" + options_.version + "\"}";
  return answer(req, http::status::ok, "application/json", std::move(body));
}

response dashboard::login(const request& req) const {
  if (!options_.keys) {
    return error(req, "InvalidArgumentException",
                 "The server runs without authentication: no login is needed.", 400);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view key_id, secret;
  if (parser.parse(req.body()).get(doc) || doc["accessKeyId"].get_string().get(key_id) ||
      doc["secretAccessKey"].get_string().get(secret)) {
    return error(req, "SerializationException",
                 "Expected {\"accessKeyId\": \"...\", \"secretAccessKey\": \"...\"}.", 400);
  }
  const auto known = options_.keys->secret(key_id);
  if (!known || !same_secret(*known, secret) ||
      key_id.find_first_of(".;, ") != std::string_view::npos) {
    return error(req, "UnrecognizedClientException",
                 "The access key id or secret access key is not one this server accepts.", 401);
  }
  response res = answer(req, http::status::ok, "application/json", R"({"ok":true})");
  res.set(http::field::set_cookie, std::string(cookie_name) + "=" + make_session(key_id) +
                                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                       std::to_string(options_.session_lifetime.count()));
  return res;
}

response dashboard::logout(const request& req) const {
  response res = answer(req, http::status::ok, "application/json", R"({"ok":true})");
  res.set(http::field::set_cookie,
          std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return res;
}

response dashboard::statistics(const request& req) const {
  if (options_.keys && !session_of(req)) return login_needed(req);
  if (!numbers_) return answer(req, http::status::service_unavailable, "text/plain", "");
  // ?stream=NAME[&shard_history=SERIES]: names are [a-zA-Z0-9_.-] and series are fixed words,
  // so nothing is percent-encoded; a query that is anything else is refused.
  const std::string_view target = req.target();
  const auto query = target.find('?');
  std::string_view stream, shard_series = "records_in";
  bool understood = true;
  if (query != std::string_view::npos) {
    std::string_view rest = target.substr(query + 1);
    while (understood && !rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.starts_with("stream=") && stream.empty()) {
        stream = pair.substr(7);
      } else if (pair.starts_with("shard_history=")) {
        shard_series = pair.substr(14);
        understood = shard_series == "none" ||
                     std::find(stats::shard_series_names.begin(), stats::shard_series_names.end(),
                               shard_series) != stats::shard_series_names.end();
      } else {
        understood = false;
      }
    }
    understood = understood && !stream.empty() && stream.find('%') == std::string_view::npos;
  }
  if (!understood) {
    return error(req, "InvalidArgumentException",
                 "Expected /v1/stats or /v1/stats?stream=NAME[&shard_history=records_in|bytes_in|"
                 "records_out|bytes_out|none].",
                 400);
  }
  if (stream.empty()) {
    return answer(req, http::status::ok, "application/json", numbers_->render_overview());
  }
  auto rendered = numbers_->render_stream(stream, shard_series);
  if (auto* e = std::get_if<api::api_error>(&rendered)) {
    return error(req, e->type, e->message, e->status);
  }
  return answer(req, http::status::ok, "application/json",
                std::get<std::string>(std::move(rendered)));
}

std::variant<response, dashboard::forward> dashboard::kinesis_call(const request& req) const {
  const std::string_view target = req["X-Amz-Target"];
  if (!target.starts_with(kinesis_prefix)) {
    return access_denied(req, "The dashboard makes Kinesis calls only (X-Amz-Target).");
  }
  const std::string_view action = target.substr(kinesis_prefix.size());
  if (contains(read_actions, action)) return forward{};
  if (!contains(write_actions, action)) {
    return access_denied(req, "The dashboard does not make " + std::string(action) + " calls.");
  }
  if (options_.mode != dashboard_mode::on) {
    return access_denied(req, "The dashboard is read-only (spated --dashboard read-only): " +
                                  std::string(action) + " is refused.");
  }
  return forward{};
}

}  // namespace spate::server
