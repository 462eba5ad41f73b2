// http_session: wait -> read -> route -> write, pipelined, on the session's I/O thread.
#include "server/http_session.h"

#include "api/errors.h"
#include "server/push_session.h"

#include <algorithm>
#include <array>
#include <functional>

namespace spate::server {
namespace {
constexpr std::size_t first_read_bytes = 4096;      // a TLS connection's wait for its next request
constexpr std::size_t body_read_bytes = 64u << 10;  // the most one read adds to a body
// A refused request's body is read past (keeping the connection) only up to this size.
constexpr std::uint64_t max_discarded_body = 1u << 20;
// What a refused connection is read for before it closes (see linger()).
constexpr std::size_t linger_bytes = 1u << 20;
constexpr auto linger_time = std::chrono::seconds(2);
}  // namespace

template <class Stream>
http_session<Stream>::http_session(Stream&& stream, router& router, session_registry& registry,
                                   idle_connections& idle, const session_limits& limits)
    : executor_(stream.get_executor()),
      stream_(std::move(stream)),
      idle_timer_(executor_),
      router_(router),
      registry_(registry),
      idle_(idle),
      limits_(limits) {
  router_.stats().connection_opened();
}

template <class Stream>
http_session<Stream>::~http_session() {
  router_.stats().connection_closed();
}

template <class Stream>
void http_session<Stream>::start() {
  net::dispatch(executor_, [self = this->shared_from_this()] { self->do_read(); });
}

template <class Stream>
void http_session<Stream>::stop() {
  net::post(executor_, [self = this->shared_from_this()] {
    if (self->closed_) return;  // closed, or handed over to a push session
    self->read_closed_ = true;
    // Pushed answers not yet started never will be: their sources go now (they hold engine
    // resources that must not outlive the engine), and so does a pending upgrade.
    self->upgrade_.reset();
    for (auto& s : self->queue_) {
      if (s->push) {
        s->push.reset();
        s->res->result(http::status::service_unavailable);
        s->res->keep_alive(false);
      }
    }
    self->stopping_ = true;
    const bool request_begun =
        self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some());
    if (self->reading_ && request_begun) {
      // A request is arriving: give it a short grace to finish, so it is answered rather than
      // failed; a client that has stalled mid-request is cut off after it.
      auto grace = std::make_shared<net::steady_timer>(self->stream_.get_executor(),
                                                       std::chrono::seconds(2));
      grace->async_wait([self, grace](beast::error_code) {
        beast::error_code ec;
        if (self->reading_)
          beast::get_lowest_layer(self->stream_)
              .socket()
              .shutdown(tcp::socket::shutdown_receive, ec);
      });
      return;
    }
    if (self->queue_.empty() && !self->writing_) {
      self->do_close();
    } else if (self->reading_) {
      // Stop waiting for a request that has not begun; answers already owed still go out.
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_receive, ec);
    }
  });
}

template <class Stream>
void http_session<Stream>::evict() {
  net::post(executor_, [self = this->shared_from_this()] {
    // Only a session still waiting for a request's first byte goes; one that got it meanwhile
    // has taken itself off the list and is busy.
    if (self->closed_ || !self->waiting_first_byte_) return;
    self->read_closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(self->stream_).socket().cancel(ec);  // the wait ends: a close
  });
}

template <class Stream>
void http_session<Stream>::do_read() {
  if (reading_ || read_closed_ || closed_) return;
  // Read ahead only within the pipelining bounds; a connection always gets one request.
  if (!queue_.empty() &&
      (queue_.size() >= limits_.pipeline_limit || queued_bytes_ >= limits_.pipeline_bytes)) {
    return;
  }
  reading_ = true;
  if (buffer_.size() > 0) return read_request();  // the next request has begun already
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    // TLS may already hold the next request, read off the socket with the handshake or an
    // earlier record, where the socket's readiness cannot show it: read its first bytes
    // through TLS under the idle timeout, then the rest under the read timeout.
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    waiting_first_byte_ = true;
    idle_token_ = idle_.enter(this->weak_from_this());
    stream_.async_read_some(buffer_.prepare(first_read_bytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->waiting_first_byte_ = false;
                              self->idle_token_.reset();
                              self->buffer_.commit(n);
                              if (ec) return self->on_read(ec, 0);
                              self->read_request();
                            });
    return;
  }
  // Wait, under the idle timeout, for the first byte of the next request.
  // (The timer may fire just as the wait succeeds, its handler already queued: `idle_waiting_`
  // keeps it from cancelling the request read that follows.)
  idle_waiting_ = true;
  waiting_first_byte_ = true;
  idle_token_ = idle_.enter(this->weak_from_this());
  idle_timer_.expires_after(limits_.idle_timeout);
  idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    beast::error_code ignored;
    if (!ec && self->idle_waiting_) beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
  });
  beast::get_lowest_layer(stream_).socket().async_wait(
      tcp::socket::wait_read, [self = this->shared_from_this()](beast::error_code ec) {
        self->idle_waiting_ = false;
        self->waiting_first_byte_ = false;
        self->idle_token_.reset();
        self->idle_timer_.cancel();
        if (ec == net::error::operation_aborted) ec = beast::error::timeout;
        if (ec) return self->on_read(ec, 0);
        self->read_request();
      });
}

template <class Stream>
void http_session<Stream>::read_request() {
  parser_.emplace();
  parser_->body_limit(limits_.body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(limits_.header_limit));
  beast::get_lowest_layer(stream_).expires_after(limits_.read_timeout);
  read_header();
}

// The header is gathered whole before Beast parses it, so that its raw bytes can be checked
// for what Beast would smooth over (obs-fold); nothing of the body is parsed yet.
template <class Stream>
void http_session<Stream>::read_header() {
  const auto data = buffer_.data();
  const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  const std::size_t end = header_block_end(bytes);
  if (end == std::string_view::npos) {
    if (bytes.size() > limits_.header_limit) return on_header(http::error::header_limit);
    stream_.async_read_some(buffer_.prepare(first_read_bytes),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->on_header(ec);
                              self->read_header();
                            });
    return;
  }
  if (end > limits_.header_limit) return on_header(http::error::header_limit);
  if (has_obs_fold(bytes.substr(0, end))) {
    return reject(http::status::bad_request, "SerializationException",
                  "Malformed HTTP request: a header field is folded over two lines (obs-fold).");
  }
  beast::error_code ec;
  const std::size_t used = parser_->put(net::buffer(data.data(), end), ec);
  buffer_.consume(used);
  if (!ec && !parser_->is_header_done()) ec = http::error::bad_value;
  on_header(ec);
}

template <class Stream>
void http_session<Stream>::on_header(beast::error_code ec) {
  if (ec) return on_read(ec, 0);
  const request& header = parser_->get();
  if (auto problem = framing_problem(header)) {
    return reject(http::status::bad_request, "SerializationException",
                  "Malformed HTTP request: " + *problem);
  }
  // Beast's parser is done at the header when the request declares no body.
  auto verdict = router_.check_header(header, !parser_->is_done());
  if (verdict.refusal) return refuse(std::move(*verdict.refusal), verdict.close);
  if (!verdict.kinesis) return admitted();
  // Kinesis work waits for its turn before its body is read (admission.h); meanwhile the body
  // stays in the kernel and nothing else is read on this connection.
  router_.admit(
      executor_,
      [self = this->shared_from_this()](admission::ticket slot) {
        self->slot_ = std::move(slot);
        self->admitted();
      },
      [self = this->shared_from_this()] {
        if (!self->parser_ || self->closed_) return;  // the session ended meanwhile
        self->refuse(self->router_.overloaded(self->parser_->get()), false);
      });
}

// The request may go on: its body's bytes are reserved, then read.
template <class Stream>
void http_session<Stream>::admitted() {
  if (closed_ || !parser_) {
    slot_.release();
    return;
  }
  const request& header = parser_->get();
  auto reserved = router_.reserve_body(
      header, parser_->chunked()
                  ? std::nullopt
                  : std::optional<std::uint64_t>(parser_->content_length().value_or(0)));
  if (auto* refused = std::get_if<response>(&reserved)) {
    slot_.release();
    return refuse(std::move(*refused), false);
  }
  body_ = std::move(std::get<memory_budget::reservation>(reserved));
  // A client that sent "Expect: 100-continue" waits for an interim answer before the body. It
  // can only be sent when no earlier response is owed (interim answers must not overtake them);
  // otherwise the client sends its body after its own short wait.
  const bool expects_continue = beast::iequals(header[http::field::expect], "100-continue");
  if (!expects_continue || writing_ || !queue_.empty()) return read_body();
  writing_ = true;
  http::async_write(stream_, continue_,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->on_read(ec, 0);
                      self->read_body();
                    });
}

// Answers a request instead of serving it, before its body was read.
template <class Stream>
void http_session<Stream>::refuse(response refusal, bool close) {
  const request& header = parser_->get();
  parser_content_type_ = std::string(header[http::field::content_type]);
  const bool has_body = parser_->chunked() || parser_->content_length().value_or(0) > 0;
  if (!has_body) {
    parser_.reset();
    return queue_answer(std::move(refusal), close);
  }
  // A client waiting for "100 Continue" sends its body only if told to, so the connection
  // cannot know whether a body follows; an unauthenticated one gets no more of our reading;
  // and a large (or chunked) body is not worth reading just to drop it (a refused storm of
  // 5 MB producers would have the server read gigabytes for nothing). Then: answer and
  // close, lingering a little so the answer is not lost to a reset; the client retries on a
  // new connection. A small body is read past, and the connection kept.
  const bool expects_continue = beast::iequals(header[http::field::expect], "100-continue");
  const bool small_body =
      !parser_->chunked() && parser_->content_length().value_or(0) <= max_discarded_body;
  if (close || expects_continue || !small_body) {
    parser_.reset();
    linger_ = true;
    return queue_answer(std::move(refusal), true);
  }
  refuse_before_body(std::move(refusal));
}

// A request refused after its header is answered at once, in its turn; its body is read and
// dropped meanwhile (never held), within the read timeout, and then the next request is read.
template <class Stream>
void http_session<Stream>::refuse_before_body(response refusal) {
  discard_.emplace(std::move(*parser_));
  parser_.reset();
  discard_->body_limit(limits_.body_limit);
  push_answer(std::move(refusal));
  do_write();
  http::async_read(stream_, buffer_, *discard_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     self->on_discarded(ec);
                   });
}

template <class Stream>
void http_session<Stream>::on_discarded(beast::error_code ec) {
  discard_.reset();
  reading_ = false;
  if (ec) {
    // The body did not arrive whole (gone, stalled, or over the limit): nothing more is read;
    // the answer still goes out if the peer is there to take it.
    read_closed_ = true;
    linger_ = ec == http::error::body_limit;
    if (queue_.empty() && !writing_) do_close();
    return;
  }
  do_write();
  do_read();
}

template <class Stream>
void http_session<Stream>::push_answer(response res) {
  auto s = std::make_shared<slot>();
  s->bytes = res.body().size();
  s->held = router_.memory().responses.charge(s->bytes);
  queued_bytes_ += s->bytes;
  s->res = std::move(res);
  queue_.push_back(s);
}

// An answer made by the session itself (a refusal), queued in request order; reading goes on
// with the next request unless `close`.
template <class Stream>
void http_session<Stream>::queue_answer(response res, bool close) {
  reading_ = false;
  if (close || !res.keep_alive()) {
    read_closed_ = true;
    res.keep_alive(false);
  }
  push_answer(std::move(res));
  do_write();
  do_read();
}

template <class Stream>
void http_session<Stream>::read_body() {
  if (parser_->is_done()) return on_read({}, 0);
  if (parser_->chunked()) {
    // A chunked body's length is unknown: before each read, make sure the reservation covers
    // what the read may add (what is buffered plus one read), twice over for the string's
    // growth by doubling; the budget may say no.
    const std::size_t could_hold =
        2 * (parser_->get().body().size() + buffer_.size() + body_read_bytes);
    if (could_hold > body_.bytes() && !body_.grow(could_hold - body_.bytes())) {
      router_.stats().request_done({}, true, 0);
      return reject(http::status::service_unavailable, "ServiceUnavailable",
                    "The server is holding as many request bodies as it may; retry later.");
    }
  }
  // Beast reads at most the buffer's spare capacity: make room for up to body_read_bytes of
  // what the body still lacks, so that a large body comes in a few reads, not one per 4 KiB.
  const std::uint64_t lacking =
      parser_->chunked() ? body_read_bytes
                         : parser_->content_length().value_or(0) - parser_->get().body().size();
  buffer_.reserve(buffer_.size() + std::min<std::uint64_t>(lacking, body_read_bytes));
  http::async_read_some(stream_, buffer_, *parser_,
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          self->on_body_some(ec);
                        });
}

template <class Stream>
void http_session<Stream>::on_body_some(beast::error_code ec) {
  if (ec) return on_read(ec, 0);
  read_body();
}

template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec) slot_.release();  // a request that will not be served gives its turn back
  if (ec && stopping_) {    // a read cut short by a graceful stop: no answer, just close
    read_closed_ = true;
    body_.release();
    if (queue_.empty() && !writing_) do_close();
    return;
  }
  if (ec == http::error::body_limit) {
    return reject(
        http::status::payload_too_large, "SerializationException",
        "Request body exceeds the limit of " + std::to_string(limits_.body_limit) + " bytes.");
  }
  if (ec == http::error::header_limit) {
    return reject(http::status::request_header_fields_too_large, "SerializationException",
                  "Request headers exceed the limit.");
  }
  // (A TLS peer that closes without close_notify ends its stream "truncated": a close too.)
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::ssl::error::stream_truncated || ec == net::error::connection_reset ||
      ec == beast::error::timeout || ec == net::error::operation_aborted) {
    read_closed_ = true;
    body_.release();
    if (queue_.empty() && !writing_) do_close();
    return;
  }
  if (ec) {
    // A malformed request: answer it and close, since the stream position is unknown.
    return reject(http::status::bad_request, "SerializationException",
                  "Malformed HTTP request: " + ec.message());
  }
  request req = parser_->release();
  parser_.reset();  // between requests there is no parser: nothing of the next one has begun
  if (buffer_.size() == 0 && buffer_.capacity() > first_read_bytes) {
    buffer_.shrink_to_fit();  // a waiting connection holds no body-sized read buffer
  }
  if (router::is_subscription(req)) {
    read_closed_ = true;
    body_.release();
    auto opened = router_.subscribe(req);
    if (auto* feed = std::get_if<std::shared_ptr<api::websocket_feed>>(&opened)) {
      upgrade_ = upgrade{std::move(req), std::move(*feed)};
      if (queue_.empty() && !writing_) start_websocket();
      return;
    }
    auto s = std::make_shared<slot>();
    s->res = std::move(std::get<response>(opened));
    s->bytes = s->res->body().size();
    s->held = router_.memory().responses.charge(s->bytes);
    queued_bytes_ += s->bytes;
    queue_.push_back(s);
    return do_write();
  }
  auto s = std::make_shared<slot>();
  s->bytes = req.body().size();
  s->held = std::move(body_);
  queued_bytes_ += s->bytes;
  queue_.push_back(s);
  if (!req.keep_alive() || router::is_push_request(req)) read_closed_ = true;
  auto done = [self = this->shared_from_this(), s](router::response_fn make) {
    net::dispatch(self->executor_,
                  [self, s, make = std::move(make)] { self->on_response(s, make()); });
  };
  if (slot_) {
    router_.route(std::move(req), std::move(slot_), std::move(done));
  } else {
    router_.route(std::move(req), executor_, std::move(done));
  }
  do_read();
}

template <class Stream>
void http_session<Stream>::on_response(const std::shared_ptr<slot>& s, router::routed routed) {
  if (closed_) return;
  queued_bytes_ = queued_bytes_ - s->bytes + routed.res.body().size();
  s->bytes = routed.res.body().size();
  s->res = std::move(routed.res);
  s->push = std::move(routed.push);
  s->held = std::move(routed.held);  // the request's body is gone; the answer's bytes count
  do_write();
}

// The connection becomes a push session: everything owed before has been written, and
// nothing was read after the request (see on_read).
template <class Stream>
void http_session<Stream>::start_push() {
  auto s = queue_.front();
  queue_.clear();
  closed_ = true;
  http::response<http::empty_body> header{std::move(s->res->base())};
  header.erase(http::field::content_length);
  auto session = std::make_shared<push_session<Stream>>(
      std::move(stream_), std::move(header), std::move(s->push), router_.stats(),
      router_.memory().subscribers, limits_.push_write_timeout);
  registry_.add(session);
  session->start();
}

template <class Stream>
void http_session<Stream>::start_websocket() {
  closed_ = true;
  auto session = std::make_shared<websocket_session<Stream>>(
      std::move(stream_), std::move(upgrade_->req), std::move(upgrade_->feed), router_.stats(),
      router_.memory().subscribers, limits_.subscribers);
  upgrade_.reset();
  registry_.add(session);
  session->start();
}

template <class Stream>
void http_session<Stream>::do_write() {
  if (writing_ || closed_ || queue_.empty() || !queue_.front()->res) return;
  if (queue_.front()->push) return start_push();
  writing_ = true;
  response& res = *queue_.front()->res;
  const bool close =
      res.need_eof() || (read_closed_ && queue_.size() == 1 && !reading_ && !upgrade_);
  if (close) res.keep_alive(false);
  beast::get_lowest_layer(stream_).expires_after(limits_.read_timeout);
  http::async_write(
      stream_, res,
      beast::bind_front_handler(&http_session<Stream>::on_write, this->shared_from_this(), close));
}

template <class Stream>
void http_session<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  writing_ = false;
  queued_bytes_ -= queue_.front()->bytes;
  queue_.pop_front();
  if (ec || close) return do_close();
  if (upgrade_ && queue_.empty()) return start_websocket();
  if (read_closed_ && queue_.empty() && !reading_) return do_close();
  do_write();
  do_read();
}

template <class Stream>
void http_session<Stream>::reject(http::status status, std::string type, std::string message) {
  body_.release();
  slot_.release();
  response res{status, 11};
  res.set(http::field::server, "spated");
  api::api_error e{type, std::move(message), static_cast<unsigned>(status), "message"};
  if (type == "SerializationException") e.message_key = "Message";
  // In the codec the request named, when its header got that far.
  auto answer =
      api::encode_error(e, parser_ ? beast::string_view(parser_->get()[http::field::content_type])
                                   : beast::string_view(parser_content_type_));
  parser_.reset();
  res.set(http::field::content_type, answer.content_type);
  res.body() = std::move(answer.body);
  res.prepare_payload();
  queue_answer(std::move(res), true);
}

template <class Stream>
void http_session<Stream>::do_close() {
  if (closed_) return;
  closed_ = true;
  idle_token_.reset();
  idle_timer_.cancel();  // its wait holds the session
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
  if (linger_) return linger();
  beast::get_lowest_layer(stream_).close();
}

// Closing a socket with unread bytes sends a reset, which can destroy the answer just written
// before the client reads it. After a refusal whose body was not read, the session reads a
// little more (dropping it) so that the answer and our FIN arrive first, then closes.
template <class Stream>
void http_session<Stream>::linger() {
  auto scratch = std::make_shared<std::array<char, 16u << 10>>();
  auto left = std::make_shared<std::size_t>(linger_bytes);
  beast::get_lowest_layer(stream_).expires_after(linger_time);
  auto step = std::make_shared<std::function<void(beast::error_code, std::size_t)>>();
  *step = [self = this->shared_from_this(), scratch, left, weak = std::weak_ptr(step)](
              beast::error_code ec, std::size_t n) {
    *left -= std::min(*left, n);
    if (ec || *left == 0) {
      beast::get_lowest_layer(self->stream_).close();
      return;
    }
    auto next = weak.lock();
    beast::get_lowest_layer(self->stream_)
        .async_read_some(net::buffer(*scratch),
                         [next](beast::error_code ec, std::size_t n) { (*next)(ec, n); });
  };
  (*step)({}, 0);
}

template class http_session<session_stream>;
template class http_session<tls_stream>;

}  // namespace spate::server
