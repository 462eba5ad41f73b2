// http2_session: one HTTP/2 client connection, h2c by prior knowledge or h2 over TLS (ALPN),
// driven by libnghttp2 on the connection's I/O thread.
//
// nghttp2 owns the protocol: framing, HPACK, stream states, flow control (a peer that sends
// past its window is answered with GOAWAY FLOW_CONTROL_ERROR), PING and SETTINGS. This class
// feeds it the bytes read, writes out what it produces, and turns each request stream into
// the same beast request an HTTP/1.1 session hands to the router, so every action, error,
// signature check and metric is shared between the two protocols. SubscribeToShard's answer
// is a long-lived stream whose DATA frames carry the event stream; it pulls from its
// push_source only when flow control lets nghttp2 ask for more, so a slow reader is paced by
// its own window and costs no memory.
//
// Each request's header is checked by the router (router.h: check_header) as soon as it is
// whole, before its body is taken in: a refused request is answered at once, what arrives of
// its body is dropped, and the client is told to stop sending it (RST_STREAM NO_ERROR once the
// answer is out). An admitted body holds a reservation of the server-wide request budget (its
// content-length, or grown as DATA arrives when none was given: when the budget has no more,
// the request is answered 503); answers hold their share of the response budget until sent.
//
// Bounds (session_limits): a request body over `body_limit` is answered 413 and dropped;
// header blocks are limited by SETTINGS_MAX_HEADER_LIST_SIZE; at most `max_streams` streams
// at once (SETTINGS_MAX_CONCURRENT_STREAMS). The session never stops reading (the peer's
// WINDOW_UPDATEs must get through for answers to drain); its budget is enforced on new
// streams instead: while requests with the router (counted until answered, even if the
// client reset them), answers not yet written and bodies arriving add up to `pipeline_bytes`,
// or `max_streams` requests are with the router, new streams are refused (REFUSED_STREAM,
// safe to retry); a body that would take the arriving bytes over `2 * pipeline_bytes` resets
// its stream (ENHANCE_YOUR_CALM). A request that has begun must end within `read_timeout`; a
// pushed stream whose reader keeps its window shut for `push_write_timeout` is reset; a
// connection with no stream is closed after `idle_timeout` (GOAWAY first), and is idle
// (idle_connections.h) meanwhile: at --max-connections it may be closed sooner. stop() sends
// GOAWAY, ends pushed streams, answers a SubscribeToShard not yet started 503, lets answers
// already owed go out, and closes within two seconds.
//
// WebSocket subscriptions stay on HTTP/1.1.
//
// Lifecycle: made by connection_sniffer.h; kept alive by its pending operations.
// Thread safety: all state lives on the connection's I/O thread; stop() from any thread.
#pragma once

#include "server/http_session.h"
#include "server/idle_connections.h"
#include "server/net.h"
#include "server/router.h"
#include "server/session_registry.h"

#include <chrono>
#include <map>
#include <memory>
#include <nghttp2/nghttp2.h>
#include <string>
#include <vector>

namespace spate::server {

template <class Stream>
class http2_session final : public stoppable,
                            public evictable,
                            public std::enable_shared_from_this<http2_session<Stream>> {
 public:
  static constexpr std::uint32_t max_streams = 128;
  static constexpr std::uint32_t max_header_list_bytes = 64u << 10;
  static constexpr std::int32_t stream_window = 1 << 20;       // per stream, as advertised
  static constexpr std::int32_t connection_window = 16 << 20;  // for the whole connection

  http2_session(Stream&& stream, router& router, idle_connections& idle,
                const session_limits& limits);
  ~http2_session() override;

  void start();
  void stop() override;
  // GOAWAY and close if the connection still has no stream (idle_connections.h).
  void evict() override;
  session_executor executor() { return stream_.get_executor(); }

 private:
  struct exchange;  // one request stream and its answer
  struct session_deleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };

  // nghttp2's callbacks; `user_data` is the session.
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t name_len, const std::uint8_t* value, std::size_t value_len,
                       std::uint8_t flags, void* user_data);
  static int on_data_chunk(nghttp2_session*, std::uint8_t flags, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* user_data);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user_data);
  static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                           std::size_t length, std::uint32_t* data_flags, nghttp2_data_source*,
                           void* user_data);

  exchange* find(std::int32_t stream_id);
  void header_complete(exchange& x, bool ends_stream);
  void refuse(exchange& x, response res);
  void answer_now(exchange& x, response res);
  void request_complete(exchange& x);
  void answer(std::int32_t stream_id, router::routed routed);
  void answer_error(exchange& x, unsigned status, std::string type, std::string message);
  void submit(exchange& x, const response& res, bool with_body);
  ssize_t pull_pushed(exchange& x, std::uint8_t* buf, std::size_t length,
                      std::uint32_t* data_flags);
  void resume(std::int32_t stream_id);
  void watch_push_progress(std::int32_t stream_id);
  void watch_request_deadlines();
  void arm_idle_timer();

  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void do_write();
  void close();

  Stream stream_;
  router& router_;
  idle_connections& idle_;
  idle_connections::token idle_token_;  // listed while the connection has no stream
  const session_limits limits_;
  std::unique_ptr<nghttp2_session, session_deleter> h2_;
  std::map<std::int32_t, std::unique_ptr<exchange>> exchanges_;
  std::vector<std::uint8_t> read_buffer_;
  std::string write_buffer_;
  std::size_t arriving_bytes_ = 0;  // bodies of requests not yet complete
  std::size_t routed_ = 0;          // requests with the router, not answered yet
  std::size_t routed_bytes_ = 0;    // their bodies
  std::size_t held_bytes_ = 0;      // answers not yet written
  net::steady_timer idle_timer_;
  net::steady_timer request_timer_;  // the earliest deadline of a request still arriving
  net::steady_timer write_timer_;    // a write the peer does not take within push_write_timeout
  bool request_timer_armed_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

}  // namespace spate::server
