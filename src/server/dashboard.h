// dashboard: the web dashboard's side of the router (docs/dashboard.md): its files (GET /,
// /assets/*, embedded by web_assets.h), the statistics (GET /v1/stats, stats.h), the session
// (GET /v1/session, POST /v1/login and /v1/logout) and the page's Kinesis calls
// (POST /v1/kinesis, forwarded to the dispatcher for a fixed list of actions).
//
// Modes (--dashboard): `on`; `read-only`, which serves everything but refuses the Kinesis
// calls that change something (403 AccessDeniedException, checked here, on the server); `off`,
// which answers 404 to every dashboard path. WebSocket subscriptions are the API's, not the
// dashboard's, and stay open in every mode.
//
// Who may ask:
// - With --auth sigv4, /v1/stats, /v1/kinesis and WebSocket subscriptions need a session: the
//   login form exchanges an access key pair from the credentials file for a cookie
//   (`spate_session`, HttpOnly, SameSite=Strict, 12 hours) holding the key id, its expiry and
//   a MAC under the server's key, so sessions survive nothing but their expiry and the key's
//   removal. The page's files carry no data and are served to anyone.
// - Every POST needs the CSRF token GET /v1/session gives (header X-Spate-Csrf; the login
//   form sends "login", which still forces a cross-origin page into a preflight it fails): a
//   MAC of the session (or of "anonymous" without auth) under the server's key.
// - Origins and hosts are checked by origin_policy.h before anything else.
//
// Bodies: a dashboard POST declares a length of at most `max_body_bytes` (64 KiB; the page's
// requests are small) or is refused before its body is read.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "engine/secret.h"
#include "server/credentials.h"
#include "server/origin_policy.h"
#include "server/stats.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spate::server {

enum class dashboard_mode { off, read_only, on };
std::optional<dashboard_mode> parse_dashboard_mode(std::string_view text);  // on|read-only|off
std::string_view to_string(dashboard_mode mode);

struct dashboard_options {
  dashboard_mode mode = dashboard_mode::on;
  const credential_store* keys = nullptr;  // --auth sigv4: sessions are needed, made from these
  std::string version;
  std::chrono::seconds session_lifetime{12 * 3600};
};

class dashboard {
 public:
  static constexpr std::size_t max_body_bytes = 64u << 10;

  dashboard(dashboard_options options, const engine::secret& key, const origin_policy& origins,
            const stats* numbers);

  // Whether the request is the dashboard's: GET of its files or of /v1/stats and /v1/session,
  // POST to /v1/kinesis, /v1/login or /v1/logout (WebSocket upgrades are not).
  static bool is_dashboard_request(const request& req);
  // Whether it is the page's Kinesis call (it waits for admission like any Kinesis request).
  static bool is_kinesis_call(const request& req);

  // The checks that need no body (mode, host, origin, session, CSRF token, declared length):
  // the answer to give instead of reading the body, if any.
  std::optional<response> check_header(const request& req) const;

  // A request the page may make of the Kinesis API: the router dispatches it as it would a
  // signed one (the session stood in for the signature).
  struct forward {};
  // The answer to a dashboard request whose body has arrived, or `forward`.
  std::variant<response, forward> handle(const request& req) const;

  // Whether the request carries a valid session (always false without --auth sigv4): a
  // WebSocket subscription with one needs no signature.
  bool has_session(const request& req) const { return session_of(req).has_value(); }

 private:
  std::optional<std::string> session_of(const request& req) const;  // the valid session token
  std::string csrf_token(const std::optional<std::string>& session) const;
  std::string make_session(std::string_view access_key_id) const;
  response serve_file(const request& req) const;
  response session_info(const request& req) const;
  response login(const request& req) const;
  response logout(const request& req) const;
  response statistics(const request& req) const;
  std::variant<response, forward> kinesis_call(const request& req) const;

  const dashboard_options options_;
  const engine::secret& key_;
  const origin_policy& origins_;
  const stats* numbers_;
};

}  // namespace spate::server
