// connection_sniffer: wait, peek, decide, hand over.
#include "server/connection_sniffer.h"

#include "server/http2_session.h"
#include "server/tls.h"

#include <array>
#include <optional>
#include <poll.h>
#include <string_view>

namespace spate::server {
namespace {

constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr unsigned char tls_handshake_record = 0x16;
// "PRI" tells the preface from every HTTP/1.1 method (PUT, POST, PATCH, PROPFIND...).
constexpr std::size_t preface_decides_at = 3;
constexpr auto partial_retry = std::chrono::milliseconds(5);

class connection_sniffer final : public stoppable,
                                 public evictable,
                                 public std::enable_shared_from_this<connection_sniffer> {
 public:
  connection_sniffer(session_socket&& socket, const connection_context& context)
      : socket_(std::move(socket)),
        context_(context),
        timer_(socket_.get_executor()),
        decide_by_(std::chrono::steady_clock::now() + context.limits.idle_timeout) {
    context_.routes.stats().connection_opened();
  }
  ~connection_sniffer() override { context_.routes.stats().connection_closed(); }

  void start() { wait_readable(); }

  void stop() override {
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

  void evict() override {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_) self->close();
    });
  }

 private:
  void wait_readable() {
    waiting_ = true;
    if (!idle_token_) idle_token_.emplace(context_.idle.enter(weak_from_this()));
    timer_.expires_at(decide_by_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->waiting_) self->close();
    });
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      self->waiting_ = false;
      self->timer_.cancel();
      self->idle_token_.reset();
      if (ec || self->closed_) return self->close();
      self->inspect();
    });
  }

  void inspect() {
    std::array<char, h2_preface.size()> head{};
    beast::error_code ec;
    socket_.non_blocking(true, ec);
    const std::size_t n = socket_.receive(net::buffer(head), tcp::socket::message_peek, ec);
    if (ec == net::error::would_block) return wait_readable();
    if (ec || n == 0) return close();  // the client went away before saying anything
    socket_.non_blocking(false, ec);
    const std::string_view got(head.data(), n);
    if (context_.tls && static_cast<unsigned char>(got[0]) == tls_handshake_record) {
      return start_tls();
    }
    if (h2_preface.starts_with(got) && n < preface_decides_at) {
      // A client that stopped sending ("P", then FIN) will never finish its first line, and
      // peeking cannot see the FIN behind the unread bytes: ask the socket, or it would hold the
      // connection for the whole read timeout.
      if (peer_stopped_sending()) return close();
      // Too few bytes to tell "PRI" from "PUT": look again shortly, within the read timeout.
      const auto now = std::chrono::steady_clock::now();
      if (!partial_deadline_) partial_deadline_ = now + context_.limits.read_timeout;
      if (now >= *partial_deadline_) return close();
      timer_.expires_after(partial_retry);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec && !self->closed_) self->inspect();
      });
      return;
    }
    if (got.starts_with(h2_preface.substr(0, preface_decides_at))) {
      return hand_over(
          metrics::protocol::h2c,
          std::make_shared<http2_session<session_stream>>(
              session_stream(std::move(socket_)), context_.routes, context_.idle, context_.limits));
    }
    hand_over(metrics::protocol::http1, std::make_shared<http_session<session_stream>>(
                                            session_stream(std::move(socket_)), context_.routes,
                                            context_.sessions, context_.idle, context_.limits));
  }

  // Whether the peer has shut down its sending side (or the connection broke).
  bool peer_stopped_sending() {
    pollfd p{socket_.native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  void start_tls() {
    tls_.emplace(session_stream(std::move(socket_)), *context_.tls);
    beast::get_lowest_layer(*tls_).expires_after(context_.limits.read_timeout);
    tls_->async_handshake(
        net::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
          if (ec || self->closed_) return self->close();
          beast::get_lowest_layer(*self->tls_).expires_never();
          if (alpn_protocol(*self->tls_) == "h2") {
            return self->hand_over(metrics::protocol::h2,
                                   std::make_shared<http2_session<tls_stream>>(
                                       std::move(*self->tls_), self->context_.routes,
                                       self->context_.idle, self->context_.limits));
          }
          self->hand_over(metrics::protocol::http1_tls,
                          std::make_shared<http_session<tls_stream>>(
                              std::move(*self->tls_), self->context_.routes,
                              self->context_.sessions, self->context_.idle, self->context_.limits));
        });
  }

  template <class Session>
  void hand_over(metrics::protocol protocol, std::shared_ptr<Session> session) {
    context_.routes.stats().connection_speaks(protocol);
    closed_ = true;  // the connection is the session's now
    tls_.reset();
    context_.sessions.add(session);
    session->start();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    idle_token_.reset();
    timer_.cancel();
    beast::error_code ec;
    if (tls_) {
      beast::get_lowest_layer(*tls_).close();
    } else {
      socket_.close(ec);
    }
  }

  session_socket socket_;
  connection_context context_;
  net::steady_timer timer_;
  std::chrono::steady_clock::time_point decide_by_;  // the first byte's deadline
  std::optional<std::chrono::steady_clock::time_point> partial_deadline_;  // a partial preface's
  std::optional<tls_stream> tls_;                                          // during the handshake
  std::optional<idle_connections::token> idle_token_;  // while waiting for the first byte
  bool waiting_ = false;
  bool closed_ = false;
};

}  // namespace

void serve_connection(session_socket&& socket, const connection_context& context) {
  auto sniffer = std::make_shared<connection_sniffer>(std::move(socket), context);
  context.sessions.add(sniffer);
  sniffer->start();
}

}  // namespace spate::server
