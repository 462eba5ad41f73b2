// server: accept loop, threads, signals and draining.
#include "server/server.h"

#include "common/incident.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/version.h"
#include "server/connection_sniffer.h"

#include <sys/socket.h>

namespace spate::server {
namespace {

unsigned io_threads(unsigned configured) {
  return configured ? configured : std::max(1u, std::thread::hardware_concurrency());
}

admission_options with_slots(admission_options o, unsigned threads) {
  if (o.max_active == 0) o.max_active = 32 * io_threads(threads);
  return o;
}

std::vector<std::unique_ptr<net::io_context>> make_contexts(unsigned threads) {
  const unsigned n = io_threads(threads);
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (unsigned i = 0; i < n; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  return contexts;
}

}  // namespace

server::server(const server_options& options, engine::engine& engine)
    : options_(options),
      budgets_(options.memory),
      admission_(with_slots(options.admission, options.threads)),
      metrics_(api::dispatcher::action_names(),
               {&engine, &budgets_, &admission_, &idle_, &trimmer_, &shared_pages_}),
      stats_(engine, metrics_, readers_,
             {.version = std::string(spate::version),
              .data_dir = engine.options().data_dir,
              .auth = options.auth ? "sigv4" : "none",
              .dashboard = std::string(to_string(options.dashboard)),
              .throttling = engine.options().shard_write_limits.enabled()},
             options.statistics),
      dashboard_({.mode = options.dashboard,
                  .keys = options.auth ? &options.auth->keys() : nullptr,
                  .version = std::string(spate::version)},
                 engine.key(), options_.origins, &stats_),
      dispatcher_(
          engine, metrics_,
          [this](std::function<void()> task) { net::post(control_, std::move(task)); },
          options.push, &budgets_.responses, &readers_, &shared_pages_),
      router_(dispatcher_, metrics_, budgets_, admission_,
              {.auth = options.auth,
               .metrics_auth = options.metrics_auth,
               .origins = &options_.origins,
               .web = &dashboard_}),
      contexts_(make_contexts(options.threads)),
      acceptor_(*contexts_.front()),
      signals_(*contexts_.front(), SIGINT, SIGTERM),
      accept_retry_(*contexts_.front()),
      trimmer_(*contexts_.front(),
               [this](std::function<void()> task) { net::post(control_, std::move(task)); }) {
  for (auto& ctx : contexts_) keep_running_.push_back(net::make_work_guard(*ctx));
  // The pool's one thread (server.h) runs this first.
  net::post(control_, [] { name_this_thread("spate-control"); });
  admission_.run_timer_on(contexts_.front()->get_executor());
  if (options_.tls.enabled()) tls_ = make_tls_context(options_.tls, &tls_certificate_);
}

server::~server() {
  join_control();
  admission_.drop_timer();  // before the io_context it runs on
}

void server::join_control() {
  control_.join();
}

result<int> server::open_listener(const std::string& host, unsigned short port) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  const tcp::endpoint endpoint(address, port);
  net::io_context scratch;
  tcp::acceptor acceptor(scratch);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  const int fd = acceptor.release(ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  return fd;
}

result<void> server::listen() {
  int fd = options_.listener;
  if (fd < 0) {
    SPATE_TRY(fd, open_listener(options_.host, options_.port));
  }
  sockaddr_storage bound{};
  socklen_t size = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size) != 0) {
    return last_system_error();
  }
  beast::error_code ec;
  acceptor_.assign(bound.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
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
    if (ec == net::error::no_descriptors || ec == std::errc::too_many_files_open_in_system) {
      // Out of descriptors: the listener stays readable, so retrying at once would spin.
      // Closing an idle connection frees one; otherwise wait for sessions to end.
      incident::report(incident::kind::descriptors_exhausted, "accepting a connection failed", ec);
      return accept_later(make_room("out of descriptors") ? std::chrono::milliseconds(5)
                                                          : std::chrono::milliseconds(100));
    }
    log::warn("accept failed: {}; retrying in 100 ms", ec.message());
    return accept_later(std::chrono::milliseconds(100));
  }
  if (metrics_.open_connections() >= static_cast<std::int64_t>(options_.max_connections) &&
      !make_room("at --max-connections")) {
    socket.close(ec);  // over the limit with nobody idle: refuse by closing at once
    return do_accept();
  }
  socket.set_option(tcp::no_delay(true), ec);
  serve_connection(std::move(socket), {router_, sessions_, idle_, options_.limits, tls_});
  do_accept();
}

bool server::make_room(std::string_view why) {
  if (!idle_.evict_oldest()) return false;
  metrics_.idle_connection_evicted();
  if (auto held_back = eviction_lines_.allow()) {
    log::warn("{}: closed the longest-idle connection to make room for a new one{}", why,
              *held_back ? " (and " + std::to_string(*held_back) + " more since the last line)"
                         : std::string());
  }
  return true;
}

void server::accept_later(std::chrono::milliseconds wait) {
  accept_retry_.expires_after(wait);
  accept_retry_.async_wait([this](beast::error_code ec) {
    if (!ec && !stopping_) do_accept();
  });
}

void server::run() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) begin_shutdown();
  });
  do_accept();
  trimmer_.start();
  if (options_.dashboard != dashboard_mode::off) stats_.start();
  std::vector<std::thread> threads;
  // The main thread, which keeps the process's name, is I/O thread 0.
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([ctx = contexts_[i].get(), i] {
      name_this_thread("spate-io-" + std::to_string(i));
      ctx->run();
    });
  }
  contexts_.front()->run();
  for (auto& t : threads) t.join();
  // The engine may close once run() returns; the sampler reads it, so it ends here.
  stats_.stop();
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
  trimmer_.stop();
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
