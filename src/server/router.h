// router: turns one parsed HTTP request into one response: GET /healthz, GET /metrics, the
// dashboard's requests (dashboard.h: GET /, /assets/*, /v1/stats, /v1/session, POST /v1/*),
// GET /v1/backup (a tar stream of a consistent snapshot, backup_archive.h),
// CORS preflights (OPTIONS, origin_policy.h), and POST (any other path) to the Kinesis
// dispatcher by X-Amz-Target. Sessions call it and receive
// the response through a callback, possibly on another thread. A SubscribeToShard response is
// only a header plus the push source its body comes from. WebSocket subscription requests
// (GET /v1/subscribe) are opened here too, before the session upgrades.
//
// The steps, for every transport (HTTP/1.1, HTTP/2):
// 1. check_header(), as soon as a request's header has arrived and before any of its body is
//    read: the signature's presence and shape (with --auth sigv4) and the envelope checks
//    that need no body (a Content-Type Kinesis does not take). A refused request is answered
//    without its body ever being held.
// 2. admit(): a Kinesis request waits for its turn (admission.h). HTTP/1.1 asks before the
//    body is read; HTTP/2, whose bodies arrive multiplexed, once it is in (route() asks then).
// 3. reserve_body(): the body's bytes from the server-wide request budget (budgets.h), or a
//    503 when the budget has no room.
// 4. route(), once the body is in: /healthz and /metrics are answered at once (they never
//    queue behind Kinesis work); Kinesis requests get the full signature check, then the
//    dispatcher.
// Answers carry a reservation from the response budget (charged for what they hold) until
// the session has written them.
//
// Authentication: with a sigv4_verifier (spated --auth sigv4) every Kinesis POST and every
// subscription is verified here, before anything else reads it; the dashboard's requests and
// a subscription that carries a dashboard session cookie are checked by the dashboard instead.
// Browsers: WebSocket subscriptions from another origin are refused unless it is listed, and
// answers to Kinesis requests from a listed origin carry the CORS headers. A rejected request gets
// its AWS error and nothing else runs. GET /healthz stays open; GET /metrics too unless
// `metrics_auth`, when it must be signed like any request.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "api/dispatcher.h"
#include "api/websocket_feed.h"
#include "common/memory_budget.h"
#include "server/admission.h"
#include "server/budgets.h"
#include "server/dashboard.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/origin_policy.h"
#include "server/sigv4_verifier.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <variant>

namespace spate::server {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

struct router_options {
  std::shared_ptr<const sigv4_verifier> auth;  // null: requests are not authenticated
  bool metrics_auth = false;                   // GET /metrics must be signed too (needs auth)
  const origin_policy* origins = nullptr;      // null: no Origin checks, no CORS
  const dashboard* web = nullptr;              // null: no dashboard (GET / is refused)
};

class router {
 public:
  router(api::dispatcher& dispatcher, metrics& metrics, budgets& budgets, admission& admission,
         router_options options = {});

  // What a session does with a request whose header has arrived.
  struct header_verdict {
    std::optional<response> refusal;  // answer this instead of reading the body
    bool close = false;               // and close the connection once it is written
    bool kinesis = false;             // Kinesis work: it goes through admission
  };
  // `body_expected`: the request declares a body (a non-zero or unknown length).
  header_verdict check_header(const request& header, bool body_expected);

  // The body's share of the request budget: `length` is the declared length (Content-Length),
  // or nullopt when it is not known in advance (chunked; HTTP/2 without content-length),
  // which reserves body_granule to begin with; the session grows it as bytes arrive. The
  // answer to give instead when the budget has no room.
  std::variant<memory_budget::reservation, response> reserve_body(
      const request& header, std::optional<std::uint64_t> length);
  // The answer to a request whose body outgrew what the request budget could give it.
  response body_refused(const request& header);

  // Waits for the request's turn (admission.h): `admitted` gets the slot, or `shed` runs.
  void admit(session_executor executor, std::function<void(admission::ticket)> admitted,
             std::function<void()> shed);
  // The answer to a request shed by admission.
  response overloaded(const request& header);

  struct routed {
    response res;
    std::shared_ptr<api::push_source> push;  // set: `res` is the header of a pushed answer
    memory_budget::reservation held;         // the response budget's share for `res`
  };
  // Produces the response; the session calls it on its own strand.
  using response_fn = std::function<routed()>;

  // Whether a request is a WebSocket subscription (an upgrade to GET /v1/subscribe).
  static bool is_subscription(const request& req);
  // Whether a request asks for a pushed answer (SubscribeToShard, GET /v1/backup), after
  // which the connection carries nothing else.
  static bool is_push_request(const request& req);
  // GET /v1/backup: a consistent copy of the data directory as a tar stream
  // (backup_archive.h), signed like any request under --auth sigv4. At most
  // max_backups run at once (each holds every log file open); more are answered 503.
  static bool is_backup_request(const request& req);
  static constexpr int max_backups = 2;
  // Opens the feed of a WebSocket subscription, or answers why not (an AWS-shaped error).
  std::variant<std::shared_ptr<api::websocket_feed>, response> subscribe(const request& req);

  // `done` may be called on any thread (the group committer's included); it should only
  // move the response_fn to the session's strand and call it there. Kinesis work waits for
  // admission first and then runs on `executor` (the session's)...
  void route(request&& req, session_executor executor, std::function<void(response_fn)> done);
  // ...unless the session was admitted already (HTTP/1.1, before reading the body): the work
  // runs now, and the slot is given back once it has.
  void route(request&& req, admission::ticket admitted, std::function<void(response_fn)> done);

  metrics& stats() { return metrics_; }
  budgets& memory() { return budgets_; }

 private:
  routed backup(const request& req);
  // `signed_request`: the request must pass the SigV4 check (with --auth); dashboard calls
  // were checked by the dashboard instead.
  void dispatch(std::shared_ptr<request> req, std::function<void(response_fn)> done,
                bool signed_request);
  // A dashboard request's answer, or `forward` for a Kinesis call of the page (dispatched
  // without a signature check); nullopt for requests that are not the dashboard's.
  std::optional<std::variant<response, dashboard::forward>> serve_dashboard(
      const request& req) const;
  // Adds the CORS headers to an answer to a Kinesis request from a listed origin.
  void allow_origin(const request& req, response& res) const;

  api::dispatcher& dispatcher_;
  metrics& metrics_;
  budgets& budgets_;
  admission& admission_;
  const router_options options_;
  std::shared_ptr<std::atomic<int>> backups_running_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace spate::server
