// push_session: header, chunks of event-stream messages, last chunk, close.
#include "server/push_session.h"

#include "common/log.h"
#include "server/budgets.h"

#include <vector>

namespace spate::server {
namespace {
constexpr auto no_throw = net::as_tuple(net::use_awaitable);
constexpr auto budget_retry = std::chrono::milliseconds(20);
}  // namespace

template <class Stream>
push_session<Stream>::push_session(Stream&& stream, http::response<http::empty_body>&& header,
                                   std::shared_ptr<api::push_source> source, metrics& stats,
                                   memory_budget& budget, std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)),
      header_(std::move(header)),
      source_(std::move(source)),
      stats_(stats),
      budget_(budget),
      write_timeout_(write_timeout),
      wake_timer_(stream_.get_executor()) {
  stats_.connection_opened();
  stats_.subscriber_opened(metrics::subscriber_kind::event_stream);
}

template <class Stream>
push_session<Stream>::~push_session() {
  stats_.subscriber_closed(metrics::subscriber_kind::event_stream);
  stats_.connection_closed();
}

template <class Stream>
void push_session<Stream>::start() {
  install_waker(*source_, this->shared_from_this());
  net::co_spawn(stream_.get_executor(), run(),
                [self = this->shared_from_this()](std::exception_ptr e) {
                  if (e) log::error("event stream session failed");
                });
}

template <class Stream>
void push_session<Stream>::stop() {
  net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->end(); });
}

// Releases the source at once (it holds engine resources that must go before the engine
// closes), wakes the loop and closes the connection.
template <class Stream>
void push_session<Stream>::end() {
  if (ended_) return;
  ended_ = true;
  source_.reset();
  wake_timer_.cancel();
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream_).close();
}

// The client sends nothing more; reading tells when it goes away (end of file or reset).
template <class Stream>
net::awaitable<void> push_session<Stream>::watch_peer() {
  // This read waits as long as the subscription lasts: no timeout (the writes keep theirs).
  beast::get_lowest_layer(stream_).expires_never();
  char scratch[4096];
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch), no_throw);
    if (ec || ended_) break;
  }
  end();
}

template <class Stream>
net::awaitable<void> push_session<Stream>::run() {
  auto self = this->shared_from_this();
  header_.chunked(true);
  header_.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{header_};
  beast::get_lowest_layer(stream_).expires_after(write_timeout_);
  if (auto [ec, n] = co_await http::async_write_header(stream_, serializer, no_throw); ec) {
    end();
    co_return;
  }
  net::co_spawn(stream_.get_executor(), watch_peer(), [self](std::exception_ptr) {});

  // The messages of one chunk, written from where they are (a shared page is not copied).
  std::vector<api::pushed_message> chunk;
  std::vector<net::const_buffer> parts;
  for (;;) {
    if (ended_) co_return;
    auto room = budget_.try_reserve(chunk_bytes + max_pushed_message_bytes);
    if (!room) {
      beast::get_lowest_layer(stream_).expires_never();
      wake_timer_.expires_after(budget_retry);
      co_await wake_timer_.async_wait(no_throw);
      continue;
    }
    auto status = api::push_source::status::idle;
    std::size_t chunk_size = 0;
    while (chunk_size < chunk_bytes) {
      api::pushed_message next;
      status = source_->pull(next);
      if (status != api::push_source::status::message) break;
      chunk_size += next.size();
      chunk.push_back(std::move(next));
    }
    // A shared page counts in full for each subscriber that holds it, so the bound holds
    // however much is shared.
    room->shrink_to(chunk_size);
    if (!chunk.empty()) {
      parts.clear();
      for (const auto& message : chunk) {
        for (const auto part : message.parts()) {
          if (!part.empty()) parts.push_back(net::buffer(part));
        }
      }
      beast::get_lowest_layer(stream_).expires_after(write_timeout_);
      auto [ec, n] = co_await net::async_write(stream_, http::make_chunk(parts), no_throw);
      if (ec || ended_) break;
      const auto written = std::chrono::steady_clock::now();
      for (const auto& message : chunk) {
        if (message.woken_at) stats_.pushed(written - *message.woken_at);
      }
    }
    chunk.clear();  // the memory goes back with the reservation
    room->release();
    if (status == api::push_source::status::finished) {
      beast::get_lowest_layer(stream_).expires_after(write_timeout_);
      co_await net::async_write(stream_, http::make_chunk_last(), no_throw);
      break;
    }
    if (status == api::push_source::status::message) continue;
    beast::get_lowest_layer(stream_).expires_never();
    wake_timer_.expires_at(source_->deadline());
    co_await wake_timer_.async_wait(no_throw);
  }
  end();
}

template class push_session<session_stream>;
template class push_session<tls_stream>;

}  // namespace spate::server
