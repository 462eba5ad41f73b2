// websocket_session: a WebSocket subscription (GET /v1/subscribe, see api/websocket_feed.h)
// after the upgrade: text messages pulled from the feed and written in order.
//
// Slow subscribers. The session keeps an outgoing queue of at most `buffer_bytes` (plus one
// message), topped up from the feed as the socket drains; a subscriber catching up from the
// past gets only about 1 MiB queued ahead and reads at its own pace. Once a subscriber has caught
// up with the live end, it must keep up: if its queue stays full with more records waiting for
// longer than `lag_grace`, it is closed with code 1008 (policy violation) and a reason saying so,
// its queue dropped. Memory per subscriber is bounded by the buffer whatever the client does, and
// no producer or other subscriber ever waits for it (the records it missed stay in the log; it can
// reconnect).
//
// Server-wide, every subscriber's queued messages count against the subscribers budget
// (budgets.h): a message is pulled only once the budget has granted room for the largest one.
// A message counts in full, though the records in it may be bytes shared with other
// subscribers (api/shared_batches): the bound holds however much is shared.
// A subscriber the budget turns away waits and tries again shortly; if it is live, already
// holds more than its fair share of the budget (the limit divided among the subscribers) and
// has written nothing for `lag_grace`, it is closed (1008) as a slow subscriber. So a crowd of
// subscribers that never read is cut off while those that read are not.
//
// Other endings: the feed's own (1000 at the end of a one-shard subscription's closed shard or
// when the stream is deleted), 1001 when the server shuts down, and the client's close.
// Dead peers are found by WebSocket pings (Beast's suggested server timeouts).
//
// A template over the connection's stream (plain or TLS), like http_session.
// Thread safety: all state lives on the connection's I/O thread; stop() from any thread.
#pragma once

#include "api/websocket_feed.h"
#include "common/memory_budget.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/session_registry.h"

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace spate::server {

struct subscriber_limits {
  std::size_t buffer_bytes = 8u << 20;
  std::chrono::milliseconds lag_grace{3'000};
};

template <class Stream>
class websocket_session final : public stoppable,
                                public std::enable_shared_from_this<websocket_session<Stream>> {
 public:
  websocket_session(Stream&& stream, http::request<http::string_body>&& upgrade,
                    std::shared_ptr<api::websocket_feed> feed, metrics& stats,
                    memory_budget& budget, const subscriber_limits& limits);
  ~websocket_session() override;

  void start();
  void stop() override;
  session_executor executor() { return ws_.get_executor(); }
  void on_wake();

 private:
  net::awaitable<void> run();
  net::awaitable<void> read_loop();
  // Pulls from the feed into the queue as the policy allows (see above).
  void fill();
  // Why a live subscriber is behind: its own buffer is full, or it holds more than its share
  // of the server's spent subscribers budget (then only if its writes have stalled too).
  enum class lag_reason { own_buffer, server_budget };
  void start_lag_grace(lag_reason why);
  void retry_later();
  void close_slow();
  void drop_queue();
  void end_after(std::chrono::steady_clock::duration wait);
  void end();

  beast::websocket::stream<Stream> ws_;
  http::request<http::string_body> upgrade_;
  std::shared_ptr<api::websocket_feed> feed_;  // released as soon as the session ends
  metrics& stats_;
  memory_budget& budget_;  // the server's, for every subscriber's queue
  const subscriber_limits limits_;
  net::steady_timer wake_timer_;   // the writer waits on it for messages
  net::steady_timer lag_timer_;    // runs while a live subscriber is behind
  net::steady_timer retry_timer_;  // a subscriber the budget turned away tries again
  struct queued {
    api::pushed_message message;
    memory_budget::reservation held;
  };
  std::deque<queued> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;    // queue_.front() is being written
  bool live_ = false;       // the feed has been idle once: the subscriber caught up
  bool behind_ = false;     // live, with the queue full and more records waiting
  bool feed_done_ = false;  // the feed finished; close once the queue is written
  bool retrying_ = false;   // retry_timer_ is armed
  lag_reason lag_reason_ = lag_reason::own_buffer;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
  std::optional<beast::websocket::close_reason> closing_;  // why the session closes
  bool ended_ = false;
};

}  // namespace spate::server
