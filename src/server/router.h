// router: turns one parsed HTTP request into one response: GET /healthz, GET /metrics, and
// POST (any path) to the Kinesis dispatcher by X-Amz-Target. Sessions call it and receive
// the response through a callback, possibly on another thread.
//
// Thread safety: route() may be called from any thread.
#pragma once

#include "api/dispatcher.h"
#include "server/metrics.h"
#include "server/net.h"

#include <functional>

namespace spate::server {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

class router {
 public:
  router(api::dispatcher& dispatcher, metrics& metrics);

  // Produces the response; the session calls it on its own strand.
  using response_fn = std::function<response()>;

  // `done` may be called on any thread (the group committer's included); it should only
  // move the response_fn to the session's strand and call it there.
  void route(request&& req, std::function<void(response_fn)> done);

  metrics& stats() { return metrics_; }

 private:
  api::dispatcher& dispatcher_;
  metrics& metrics_;
};

}  // namespace spate::server
