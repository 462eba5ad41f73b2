// http_session: one HTTP/1.1 client connection.
//
// The session reads requests with a bounded body, hands each to the router, and writes the
// responses in request order. It keeps reading while earlier requests are still being served
// (pipelining), up to `pipeline_limit` outstanding requests; then it stops reading until a
// response has been written. A connection may sit idle between requests for `idle_timeout`;
// once a request's first byte arrives, the whole request must arrive within `read_timeout`,
// so a slow or stalled client is cut off without holding anything else up.
//
// Each request's header is read whole and checked before any body byte: framing that could be
// read two ways (http_framing.h) is answered 400 and the connection closed; then the router's
// check_header() decides (signature shape, envelope); a Kinesis request then waits for its
// turn (admission.h) with its body left unread in the kernel, and once admitted reserves the
// body's bytes from the server-wide request budget (a 503 when it has no room). A request
// refused at any of these steps is answered at once; a small body (up
// to 1 MiB) is read and dropped meanwhile (discard_body: it must be read past for the
// connection to be reused); a larger or chunked one, an unauthenticated request, or one waiting
// for "100 Continue", is answered and the connection closed without reading the body, after a
// short linger so that the answer is not lost to a reset.
// A chunked body grows its reservation as it arrives and is cut off (503, close) when the
// budget has no more. Answers hold their share of the response budget until written.
//
// Two requests turn the connection into a push session, after the answers owed before them
// have been written: SubscribeToShard (push_session: an event stream as the response body)
// and a WebSocket upgrade to GET /v1/subscribe (websocket_session). Nothing is read after
// either.
//
// The session is a template over its stream: plain TCP (session_stream) or TLS (tls_stream);
// both are instantiated in http_session.cc.
//
// Between requests the connection is idle (idle_connections.h): at --max-connections it may be
// closed to make room for a new client.
//
// Lifecycle: created by the listener once connection_sniffer.h has found HTTP/1.1, kept alive by
// the shared_ptrs its pending operations hold; it ends when the peer closes, on an error or
// timeout, after stop(), or when it hands its connection to a push session. Thread safety: all
// state lives on the session's io_context thread; stop() may be called from any thread.
#pragma once

#include "common/memory_budget.h"
#include "server/http_framing.h"
#include "server/idle_connections.h"
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
  std::size_t header_limit = 16u << 10;             // request line and fields
  std::size_t pipeline_limit = 16;                  // requests read ahead of their answers
  std::size_t pipeline_bytes = 32u << 20;           // request and answer bodies held per connection
  std::chrono::milliseconds read_timeout{60'000};   // to receive a request once it began
  std::chrono::milliseconds idle_timeout{300'000};  // between requests on a keep-alive connection
  std::chrono::milliseconds push_write_timeout{300'000};  // a pushed chunk must be taken within
  subscriber_limits subscribers;                          // WebSocket subscribers' buffers
};

template <class Stream>
class http_session final : public stoppable,
                           public evictable,
                           public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(Stream&& stream, router& router, session_registry& registry, idle_connections& idle,
               const session_limits& limits);
  ~http_session();

  void start();
  // Finish what has been read, answer it, then close. Safe from any thread.
  void stop() override;
  // Close if still waiting for the next request (idle_connections.h). Safe from any thread.
  void evict() override;

 private:
  struct slot {
    std::optional<response> res;
    std::shared_ptr<api::push_source> push;  // a pushed answer: `res` is its header
    std::size_t bytes = 0;                   // the request body's size, then the answer body's
    memory_budget::reservation held;         // the request's body, then the answer's bytes
  };
  struct upgrade {
    request req;
    std::shared_ptr<api::websocket_feed> feed;
  };

  void do_read();
  void read_request();
  void read_header();
  void on_header(beast::error_code ec);
  void admitted();
  void refuse(response refusal, bool close);
  void refuse_before_body(response refusal);
  void on_discarded(beast::error_code ec);
  void push_answer(response res);
  void linger();
  void read_body();
  void on_body_some(beast::error_code ec);
  void on_read(beast::error_code ec, std::size_t bytes);
  void queue_answer(response res, bool close);
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
  idle_connections& idle_;
  idle_connections::token idle_token_;  // listed while waiting for a request's first byte
  const session_limits limits_;
  std::optional<upgrade> upgrade_;  // a WebSocket subscription waiting for earlier answers
  std::optional<http::request_parser<http::string_body>> parser_;
  memory_budget::reservation body_;  // the request being read: its body's reservation
  admission::ticket slot_;           // the request being read: its turn (admission.h)
  // A request refused after its header: its answer is queued at once and its body is read
  // into nothing meanwhile.
  std::optional<http::request_parser<discard_body>> discard_;
  std::string parser_content_type_;  // a refused request's, for errors after its parser went
  bool linger_ = false;  // close with linger(): unread bytes of a refused request may follow
  http::response<http::empty_body> continue_{http::status::continue_, 11};  // "100 Continue"
  std::deque<std::shared_ptr<slot>> queue_;  // responses in request order
  std::size_t queued_bytes_ = 0;             // sum of the slots' bytes
  bool reading_ = false;
  bool idle_waiting_ = false;        // waiting for a request's first byte under the idle timer
  bool waiting_first_byte_ = false;  // idle: listed in idle_connections
  bool writing_ = false;
  bool read_closed_ = false;  // no more requests will be read
  bool stopping_ = false;     // stop() was called
  bool closed_ = false;
};

}  // namespace spate::server
