// server: accept loop, threads, signals and draining.
#include "server/server.h"

#include "common/log.h"
#include "server/connection_sniffer.h"

namespace spate::server {
namespace {

std::vector<std::unique_ptr<net::io_context>> make_contexts(unsigned threads) {
  const unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (unsigned i = 0; i < n; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  return contexts;
}

}  // namespace

server::server(const server_options& options, engine::engine& engine)
    : options_(options),
      metrics_(api::dispatcher::action_names(), &engine),
      dispatcher_(
          engine, metrics_,
          [this](std::function<void()> task) { net::post(control_, std::move(task)); },
          options.push),
      router_(dispatcher_, metrics_, options.auth),
      contexts_(make_contexts(options.threads)),
      acceptor_(*contexts_.front()),
      signals_(*contexts_.front(), SIGINT, SIGTERM),
      accept_retry_(*contexts_.front()) {
  for (auto& ctx : contexts_) keep_running_.push_back(net::make_work_guard(*ctx));
  if (options_.tls.enabled()) tls_ = make_tls_context(options_.tls, &tls_certificate_);
}

server::~server() {
  join_control();
}

void server::join_control() {
  control_.join();
}

result<void> server::listen() {
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  return {};
}

unsigned short server::port() const {
  return acceptor_.local_endpoint().port();
}

void server::do_accept() {
  auto& ctx = *contexts_[next_context_++ % contexts_.size()];
  acceptor_.async_accept(ctx.get_executor(), beast::bind_front_handler(&server::on_accept, this));
}

void server::on_accept(beast::error_code ec, session_socket socket) {
  if (stopping_) return;  // the socket closes as it goes out of scope
  if (ec) {
    if (ec == net::error::operation_aborted) return;
    // Out of descriptors, most likely: the listener stays readable, so retrying at once would
    // spin. Wait a little; sessions closing meanwhile free descriptors.
    log::warn("accept failed: {}; retrying in 100 ms", ec.message());
    return accept_later();
  }
  if (metrics_.open_connections() >= static_cast<std::int64_t>(options_.max_connections)) {
    socket.close(ec);  // over the connection limit: refuse by closing at once
    return do_accept();
  }
  socket.set_option(tcp::no_delay(true), ec);
  serve_connection(std::move(socket), {router_, sessions_, options_.limits, tls_});
  do_accept();
}

void server::accept_later() {
  accept_retry_.expires_after(std::chrono::milliseconds(100));
  accept_retry_.async_wait([this](beast::error_code ec) {
    if (!ec && !stopping_) do_accept();
  });
}

void server::run() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) begin_shutdown();
  });
  do_accept();
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  }
  contexts_.front()->run();
  for (auto& t : threads) t.join();
}

void server::stop() {
  net::post(*contexts_.front(), [this] { begin_shutdown(); });
}

void server::stop_contexts() {
  keep_running_.clear();
  for (auto& ctx : contexts_) ctx->stop();
}

// Stop accepting, ask every session to finish what it has read, and let run() return when the
// last session is gone (or after drain_timeout).
void server::begin_shutdown() {
  if (stopping_.exchange(true)) return;
  beast::error_code ec;
  acceptor_.close(ec);
  signals_.cancel(ec);
  accept_retry_.cancel();
  // Sessions that a connection hands over to from now on are stopped as they register.
  for (auto& s : sessions_.close()) s->stop();
  auto& main = *contexts_.front();
  auto deadline = std::make_shared<net::steady_timer>(main, options_.drain_timeout);
  deadline->async_wait([this, deadline](beast::error_code) { stop_contexts(); });
  // The timer keeps run() alive; when sessions are gone early, stop sooner.
  auto poll = std::make_shared<net::steady_timer>(main);
  auto check = std::make_shared<std::function<void()>>();
  // The lambda holds itself weakly; the pending wait holds it strongly, so nothing cycles.
  *check = [this, poll, self = std::weak_ptr(check)]() {
    if (!sessions_.any_alive()) {
      stop_contexts();
      return;
    }
    poll->expires_after(std::chrono::milliseconds(10));
    poll->async_wait([strong = self.lock()](beast::error_code) { (*strong)(); });
  };
  (*check)();
}

}  // namespace spate::server
