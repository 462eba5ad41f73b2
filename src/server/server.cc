// server: accept loop, threads, signals and draining.
#include "server/server.h"

#include <cstdio>

namespace spate::server {

server::server(const server_options& options, engine::engine& engine)
    : options_(options),
      metrics_(api::dispatcher::action_names()),
      dispatcher_(engine, metrics_,
                  [this](std::function<void()> task) { net::post(control_, std::move(task)); }),
      router_(dispatcher_, metrics_),
      ioc_(static_cast<int>(options.threads ? options.threads
                                            : std::max(1u, std::thread::hardware_concurrency()))),
      acceptor_(net::make_strand(ioc_)),
      signals_(ioc_, SIGINT, SIGTERM) {}

server::~server() {
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

unsigned short server::port() const { return acceptor_.local_endpoint().port(); }

void server::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&server::on_accept, this));
}

void server::on_accept(beast::error_code ec, strand_socket socket) {
  if (ec) {
    if (ec == net::error::operation_aborted || stopping_) return;
    // Out of descriptors or a client that vanished mid-handshake: keep accepting.
    std::fprintf(stderr, "spated: accept: %s\n", ec.message().c_str());
  } else {
    socket.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<http_session>(std::move(socket), router_, options_.limits);
    {
      std::lock_guard lock(sessions_mu_);
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sessions_.push_back(session);
    }
    session->start();
  }
  if (!stopping_) do_accept();
}

void server::run() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) begin_shutdown();
  });
  do_accept();
  const unsigned n = options_.threads ? options_.threads
                                      : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : threads) t.join();
}

void server::stop() {
  net::post(ioc_, [this] { begin_shutdown(); });
}

// Stop accepting, ask every session to finish what it has read, and let run() return when the
// last session is gone (or after drain_timeout).
void server::begin_shutdown() {
  if (stopping_.exchange(true)) return;
  beast::error_code ec;
  acceptor_.close(ec);
  signals_.cancel(ec);
  std::vector<std::shared_ptr<http_session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    sessions_.clear();
  }
  for (auto& s : live) s->stop();
  auto deadline = std::make_shared<net::steady_timer>(ioc_, options_.drain_timeout);
  deadline->async_wait([this, deadline](beast::error_code) { ioc_.stop(); });
  // The timer keeps run() alive; when sessions are gone early, stop sooner.
  auto poll = std::make_shared<net::steady_timer>(ioc_);
  auto check = std::make_shared<std::function<void()>>();
  // The lambda holds itself weakly; the pending wait holds it strongly, so nothing cycles.
  *check = [this, poll, self = std::weak_ptr(check),
            live = std::vector<std::weak_ptr<http_session>>(live.begin(), live.end())]() {
    bool any = false;
    for (const auto& w : live) any = any || !w.expired();
    if (!any) {
      ioc_.stop();
      return;
    }
    poll->expires_after(std::chrono::milliseconds(10));
    poll->async_wait([strong = self.lock()](beast::error_code) { (*strong)(); });
  };
  live.clear();
  (*check)();
}

}  // namespace spate::server
