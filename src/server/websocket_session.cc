// websocket_session: accept the upgrade, then queue, write and police the pace.
#include "server/websocket_session.h"

#include "common/log.h"
#include "server/budgets.h"
#include "server/push_session.h"

#include <fmt/format.h>

#include <array>

namespace spate::server {
namespace {
constexpr auto no_throw = net::as_tuple(net::use_awaitable);
constexpr std::size_t catch_up_bytes = 1u << 20;
constexpr auto budget_retry = std::chrono::milliseconds(20);
namespace websocket = beast::websocket;
}  // namespace

template <class Stream>
websocket_session<Stream>::websocket_session(Stream&& stream,
                                             http::request<http::string_body>&& upgrade,
                                             std::shared_ptr<api::websocket_feed> feed,
                                             metrics& stats, memory_budget& budget,
                                             const subscriber_limits& limits)
    : ws_(std::move(stream)),
      upgrade_(std::move(upgrade)),
      feed_(std::move(feed)),
      stats_(stats),
      budget_(budget),
      limits_(limits),
      wake_timer_(ws_.get_executor()),
      lag_timer_(ws_.get_executor()),
      retry_timer_(ws_.get_executor()) {
  stats_.connection_opened();
  stats_.subscriber_opened(metrics::subscriber_kind::websocket);
}

template <class Stream>
websocket_session<Stream>::~websocket_session() {
  stats_.subscriber_closed(metrics::subscriber_kind::websocket);
  stats_.connection_closed();
}

template <class Stream>
void websocket_session<Stream>::start() {
  install_waker(*feed_, this->shared_from_this());
  net::co_spawn(ws_.get_executor(), run(), [self = this->shared_from_this()](std::exception_ptr e) {
    if (e) log::error("websocket session failed");
  });
}

template <class Stream>
void websocket_session<Stream>::stop() {
  net::post(ws_.get_executor(), [self = this->shared_from_this()] {
    if (self->ended_) return;
    if (!self->closing_) {  // (a session already closing keeps its reason)
      self->closing_ =
          websocket::close_reason(websocket::close_code::going_away, "server shutting down");
    }
    self->feed_.reset();
    self->drop_queue();
    self->wake_timer_.cancel();
    self->end_after(std::chrono::seconds(2));
  });
}

// A client that does not read cannot take the close frame either: cut it off after `wait`.
template <class Stream>
void websocket_session<Stream>::end_after(std::chrono::steady_clock::duration wait) {
  auto cut = std::make_shared<net::steady_timer>(ws_.get_executor(), wait);
  cut->async_wait([self = this->shared_from_this(), cut](beast::error_code) { self->end(); });
}

// Drops what is queued, except a message being written (the write refers to it).
template <class Stream>
void websocket_session<Stream>::drop_queue() {
  const std::size_t keep = writing_ && !queue_.empty() ? 1 : 0;
  while (queue_.size() > keep) {
    queued_bytes_ -= queue_.back().message.size();
    queue_.pop_back();
  }
}

template <class Stream>
void websocket_session<Stream>::on_wake() {
  fill();
  wake_timer_.cancel();
}

template <class Stream>
void websocket_session<Stream>::fill() {
  // Catching up, a message or two ahead of the socket is enough to keep it busy; live, the
  // whole buffer may fill while the subscriber takes in a burst.
  const std::size_t cap =
      live_ ? limits_.buffer_bytes : std::min(limits_.buffer_bytes, catch_up_bytes);
  while (feed_ && !feed_done_ && !closing_) {
    if (queued_bytes_ >= cap) {
      // Full with (perhaps) more to come: a live subscriber is now behind; its grace starts.
      if (live_) start_lag_grace(lag_reason::own_buffer);
      return;
    }
    // Room in the server-wide budget first, for the largest message the feed may give.
    auto room = budget_.try_reserve(max_pushed_message_bytes);
    if (!room) {
      const auto subscribers =
          std::max<std::int64_t>(1, stats_.subscribers(metrics::subscriber_kind::websocket));
      const std::size_t fair_share = budget_.limit() / static_cast<std::size_t>(subscribers);
      // Holding more than its share, a live subscriber is behind; one that has drained below
      // it is not at fault for the budget being spent, whatever its earlier lag.
      if (live_ && queued_bytes_ > fair_share) {
        start_lag_grace(lag_reason::server_budget);
      } else if (behind_) {
        behind_ = false;
        lag_timer_.cancel();
      }
      return retry_later();
    }
    api::pushed_message next;
    const auto status = feed_->pull(next);
    if (status == api::push_source::status::message) {
      room->shrink_to(next.size());
      queued_bytes_ += next.size();
      queue_.push_back({std::move(next), std::move(*room)});
      continue;
    }
    if (status == api::push_source::status::idle) {
      live_ = true;
      if (behind_) {
        behind_ = false;
        lag_timer_.cancel();
      }
      return;
    }
    feed_done_ = true;
    // A close frame's reason holds at most 123 bytes.
    const std::string_view reason = feed_->close_reason();
    closing_ = websocket::close_reason(static_cast<websocket::close_code>(feed_->close_code()),
                                       reason.substr(0, 123));
  }
}

// A live subscriber that cannot take what is waiting for it: after `lag_grace` of that, it is
// closed, unless it catches up first (fill() finds the feed idle and cancels the timer).
template <class Stream>
void websocket_session<Stream>::start_lag_grace(lag_reason why) {
  if (behind_) {
    // Its own full buffer is the stricter judgement: it wins over the budget's.
    if (why == lag_reason::own_buffer) lag_reason_ = why;
    return;
  }
  behind_ = true;
  lag_reason_ = why;
  lag_timer_.expires_after(limits_.lag_grace);
  lag_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec || !self->behind_) return;
    // Holding more than its share of a spent budget is only a fault if the subscriber is not
    // reading: one whose writes go on is not what keeps the budget spent. Judge again later.
    const auto since_progress = std::chrono::steady_clock::now() - self->last_progress_;
    if (self->lag_reason_ == lag_reason::server_budget &&
        since_progress < self->limits_.lag_grace) {
      self->behind_ = false;
      return self->fill();
    }
    self->close_slow();
  });
}

// The budget had no room: try again shortly (others' queues drain or are cut meanwhile).
template <class Stream>
void websocket_session<Stream>::retry_later() {
  if (retrying_) return;
  retrying_ = true;
  retry_timer_.expires_after(budget_retry);
  retry_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    self->retrying_ = false;
    if (ec || self->ended_) return;
    self->on_wake();
  });
}

template <class Stream>
void websocket_session<Stream>::close_slow() {
  if (closing_ || ended_) return;
  log::info("closing a slow WebSocket subscriber: {} bytes queued for over {} ms", queued_bytes_,
            limits_.lag_grace.count());
  stats_.slow_subscriber_closed();
  closing_ =
      websocket::close_reason(websocket::close_code::policy_error,
                              fmt::format("subscriber too slow: over {} bytes behind for {} ms",
                                          limits_.buffer_bytes, limits_.lag_grace.count()));
  feed_.reset();
  drop_queue();
  wake_timer_.cancel();
  end_after(std::chrono::seconds(5));
}

template <class Stream>
void websocket_session<Stream>::end() {
  if (ended_) return;
  ended_ = true;
  feed_.reset();
  drop_queue();
  wake_timer_.cancel();
  lag_timer_.cancel();
  retry_timer_.cancel();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).close();
}

// Messages from the client are read (so pings, pongs and its close are processed) and ignored.
template <class Stream>
net::awaitable<void> websocket_session<Stream>::read_loop() {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer, no_throw);
    if (ec || ended_) break;
    buffer.consume(buffer.size());
  }
  end();
}

template <class Stream>
net::awaitable<void> websocket_session<Stream>::run() {
  auto self = this->shared_from_this();
  beast::get_lowest_layer(ws_).expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = std::chrono::seconds(60);
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "spated"); }));
  ws_.read_message_max(64u << 10);
  ws_.text(true);
  // One frame per message, written with one send: Beast's default cuts a message into frames
  // of its 4 KiB write buffer, one send each (50 sends for a 200 KB batch).
  ws_.auto_fragment(false);
  if (auto [ec] = co_await ws_.async_accept(upgrade_, no_throw); ec) {
    end();
    co_return;
  }
  upgrade_ = {};
  net::co_spawn(ws_.get_executor(), read_loop(), [self](std::exception_ptr) {});

  for (;;) {
    if (ended_) co_return;
    fill();
    if (!queue_.empty()) {
      writing_ = true;
      // The records shared with other subscribers and this one's own parts, in one frame.
      const auto [head, shared, tail] = queue_.front().message.parts();
      const std::array<net::const_buffer, 3> parts{net::buffer(head), net::buffer(shared),
                                                   net::buffer(tail)};
      auto [ec, n] = co_await ws_.async_write(parts, no_throw);
      writing_ = false;
      if (ec || ended_) break;
      last_progress_ = std::chrono::steady_clock::now();
      if (const auto woken = queue_.front().message.woken_at)
        stats_.pushed(last_progress_ - *woken);
      queued_bytes_ -= queue_.front().message.size();
      queue_.pop_front();
      continue;
    }
    if (closing_) {
      auto reason = *closing_;
      co_await ws_.async_close(reason, no_throw);
      break;
    }
    wake_timer_.expires_at(net::steady_timer::time_point::max());
    co_await wake_timer_.async_wait(no_throw);
  }
  end();
}

template class websocket_session<session_stream>;
template class websocket_session<tls_stream>;

}  // namespace spate::server
