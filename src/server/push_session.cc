// push_session: header, chunks of event-stream messages, last chunk, close.
#include "server/push_session.h"

#include "common/log.h"

namespace spate::server {
namespace {
constexpr auto no_throw = net::as_tuple(net::use_awaitable);
}

push_session::push_session(session_stream&& stream, http::response<http::empty_body>&& header,
                           std::shared_ptr<api::push_source> source, metrics& stats,
                           std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)),
      header_(std::move(header)),
      source_(std::move(source)),
      stats_(stats),
      write_timeout_(write_timeout),
      wake_timer_(stream_.get_executor()) {
  stats_.connection_opened();
  stats_.subscriber_opened(metrics::subscriber_kind::event_stream);
}

push_session::~push_session() {
  stats_.subscriber_closed(metrics::subscriber_kind::event_stream);
  stats_.connection_closed();
}

void push_session::start() {
  install_waker(*source_, shared_from_this());
  net::co_spawn(stream_.get_executor(), run(), [self = shared_from_this()](std::exception_ptr e) {
    if (e) log::error("event stream session failed");
  });
}

void push_session::stop() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->end(); });
}

// Releases the source at once (it holds engine resources that must go before the engine
// closes), wakes the loop and closes the connection.
void push_session::end() {
  if (ended_) return;
  ended_ = true;
  source_.reset();
  wake_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

// The client sends nothing more; reading tells when it goes away (end of file or reset).
net::awaitable<void> push_session::watch_peer() {
  char scratch[4096];
  for (;;) {
    auto [ec, n] = co_await stream_.socket().async_read_some(net::buffer(scratch), no_throw);
    if (ec || ended_) break;
  }
  end();
}

net::awaitable<void> push_session::run() {
  auto self = shared_from_this();
  header_.chunked(true);
  header_.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{header_};
  stream_.expires_after(write_timeout_);
  if (auto [ec, n] = co_await http::async_write_header(stream_, serializer, no_throw); ec) {
    end();
    co_return;
  }
  net::co_spawn(stream_.get_executor(), watch_peer(), [self](std::exception_ptr) {});

  std::string chunk;
  for (;;) {
    if (ended_) co_return;
    chunk.clear();
    auto status = api::push_source::status::idle;
    while (chunk.size() < chunk_bytes) {
      status = source_->pull(chunk);
      if (status != api::push_source::status::message) break;
    }
    if (!chunk.empty()) {
      stream_.expires_after(write_timeout_);
      auto [ec, n] =
          co_await net::async_write(stream_, http::make_chunk(net::buffer(chunk)), no_throw);
      if (ec || ended_) break;
    }
    if (status == api::push_source::status::finished) {
      stream_.expires_after(write_timeout_);
      co_await net::async_write(stream_, http::make_chunk_last(), no_throw);
      break;
    }
    if (status == api::push_source::status::message || !chunk.empty()) continue;
    stream_.expires_never();
    wake_timer_.expires_at(source_->deadline());
    co_await wake_timer_.async_wait(no_throw);
  }
  end();
}

}  // namespace spate::server
