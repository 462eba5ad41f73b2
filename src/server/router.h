// router: turns one parsed HTTP request into one response: GET /healthz, GET /metrics, and
// POST (any path) to the Kinesis dispatcher by X-Amz-Target. Sessions call it and receive
// the response through a callback, possibly on another thread. A SubscribeToShard response is
// only a header plus the push source its body comes from. WebSocket subscription requests
// (GET /v1/subscribe) are opened here too, before the session upgrades.
//
// Authentication: with a sigv4_verifier (spated --auth sigv4) every Kinesis POST and every
// subscription is verified here, before anything else reads it, so that every transport that
// hands its requests to route() (HTTP/1.1, HTTP/2) is covered by the one check. A rejected
// request gets its AWS error and nothing else runs. GET /healthz and /metrics stay open.
//
// Thread safety: route() may be called from any thread.
#pragma once

#include "api/dispatcher.h"
#include "api/websocket_feed.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/sigv4_verifier.h"

#include <functional>
#include <memory>
#include <variant>

namespace spate::server {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

class router {
 public:
  // `auth` null: requests are not authenticated (spated --auth none).
  router(api::dispatcher& dispatcher, metrics& metrics,
         std::shared_ptr<const sigv4_verifier> auth = nullptr);

  struct routed {
    response res;
    std::shared_ptr<api::push_source> push;  // set: `res` is the header of a pushed answer
  };
  // Produces the response; the session calls it on its own strand.
  using response_fn = std::function<routed()>;

  // Whether a request is a WebSocket subscription (an upgrade to GET /v1/subscribe).
  static bool is_subscription(const request& req);
  // Whether a request asks for a pushed answer (SubscribeToShard), after which the
  // connection carries nothing else.
  static bool is_push_request(const request& req);
  // Opens the feed of a WebSocket subscription, or answers why not (an AWS-shaped error).
  std::variant<std::shared_ptr<api::websocket_feed>, response> subscribe(const request& req);

  // `done` may be called on any thread (the group committer's included); it should only
  // move the response_fn to the session's strand and call it there.
  void route(request&& req, std::function<void(response_fn)> done);

  metrics& stats() { return metrics_; }

 private:
  api::dispatcher& dispatcher_;
  metrics& metrics_;
  const std::shared_ptr<const sigv4_verifier> auth_;
};

}  // namespace spate::server
