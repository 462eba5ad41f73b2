// http_session: one HTTP/1.1 client connection.
//
// The session reads requests with a bounded body, hands each to the router, and writes the
// responses in request order. It keeps reading while earlier requests are still being served
// (pipelining), up to `pipeline_limit` outstanding requests; then it stops reading until a
// response has been written. A connection may sit idle between requests for `idle_timeout`;
// once a request's first byte arrives, the whole request must arrive within `read_timeout`,
// so a slow or stalled client is cut off without holding anything else up.
//
// Two requests turn the connection into a push session, after the answers owed before them
// have been written: SubscribeToShard (push_session: an event stream as the response body)
// and a WebSocket upgrade to GET /v1/subscribe (websocket_session). Nothing is read after
// either.
//
// The session is a template over its stream: plain TCP (session_stream) or TLS (tls_stream);
// both are instantiated in http_session.cc.
//
// Lifecycle: created by the listener once connection_sniffer.h has found HTTP/1.1, kept alive by
// the shared_ptrs its pending operations hold; it ends when the peer closes, on an error or
// timeout, after stop(), or when it hands its connection to a push session. Thread safety: all
// state lives on the session's io_context thread; stop() may be called from any thread.
#pragma once

#include "server/net.h"
#include "server/router.h"
#include "server/session_registry.h"
#include "server/websocket_session.h"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

namespace spate::server {

struct session_limits {
  // Admits the largest legal request: PutRecords or PutRecord with 10 MiB of data and keys
  // (UpdateMaxRecordSize) is about 13.4 MiB as base64 JSON, 14.2 MiB with escaped keys.
  std::size_t body_limit = 16u << 20;
  std::size_t pipeline_limit = 16;                  // requests read ahead of their answers
  std::size_t pipeline_bytes = 32u << 20;           // request and answer bodies held per connection
  std::chrono::milliseconds read_timeout{60'000};   // to receive a request once it began
  std::chrono::milliseconds idle_timeout{300'000};  // between requests on a keep-alive connection
  std::chrono::milliseconds push_write_timeout{300'000};  // a pushed chunk must be taken within
  subscriber_limits subscribers;                          // WebSocket subscribers' buffers
};

template <class Stream>
class http_session final : public stoppable,
                           public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(Stream&& stream, router& router, session_registry& registry,
               const session_limits& limits);
  ~http_session();

  void start();
  // Finish what has been read, answer it, then close. Safe from any thread.
  void stop() override;

 private:
  struct slot {
    std::optional<response> res;
    std::shared_ptr<api::push_source> push;  // a pushed answer: `res` is its header
    std::size_t bytes = 0;                   // the request body's size, then the answer body's
  };
  struct upgrade {
    request req;
    std::shared_ptr<api::websocket_feed> feed;
  };

  void do_read();
  void read_request();
  void on_header(beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_response(const std::shared_ptr<slot>& s, router::routed routed);
  void start_push();
  void start_websocket();
  void do_write();
  void on_write(bool close, beast::error_code ec, std::size_t bytes);
  void reject(http::status status, std::string type, std::string message);
  void do_close();

  session_executor executor_;  // the connection's, kept when the stream is handed over
  Stream stream_;
  net::steady_timer idle_timer_;
  beast::flat_buffer buffer_;
  router& router_;
  session_registry& registry_;
  const session_limits limits_;
  std::optional<upgrade> upgrade_;  // a WebSocket subscription waiting for earlier answers
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_{http::status::continue_, 11};  // "100 Continue"
  std::deque<std::shared_ptr<slot>> queue_;  // responses in request order
  std::size_t queued_bytes_ = 0;             // sum of the slots' bytes
  bool reading_ = false;
  bool idle_waiting_ = false;  // waiting for a request's first byte under the idle timer
  bool writing_ = false;
  bool read_closed_ = false;  // no more requests will be read
  bool stopping_ = false;     // stop() was called
  bool closed_ = false;
};

}  // namespace spate::server
