// server: the spated process's network side: the acceptor, the I/O threads, the control
// thread, the session registry and graceful shutdown. Each accepted connection goes to
// connection_sniffer.h, which finds its protocol (HTTP/1.1, h2c, TLS with h2 or HTTP/1.1).
//
// `threads` I/O threads each run an io_context of their own (the first also runs the acceptor
// and signals); connections are dealt to them in turn and stay there.
// Control-plane actions (which write the catalog and so fsync) run on one separate control
// thread, never on an I/O thread. SIGINT/SIGTERM stop the acceptor, let every session answer
// what it has read, then stop the threads; the caller then closes the engine (which syncs).
//
// The dashboard's statistics (stats.h) are sampled on a thread of their own from run() on.
//
// Lifecycle: construct, listen(), run() (blocks until stopped), destroy.
#pragma once

#include "api/dispatcher.h"
#include "common/log.h"
#include "engine/engine.h"
#include "server/admission.h"
#include "server/budgets.h"
#include "server/dashboard.h"
#include "server/http_session.h"
#include "server/idle_connections.h"
#include "server/memory_trimmer.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/origin_policy.h"
#include "server/router.h"
#include "server/session_registry.h"
#include "server/stats.h"
#include "server/tls.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spate::server {

struct server_options {
  std::string host = "127.0.0.1";
  unsigned short port = 4567;
  unsigned threads = 0;  // 0: one per core
  session_limits limits;
  api::push_limits push;  // SubscribeToShard's lifetime and heartbeat, pushed message size
  // At the limit a new connection closes the one idle the longest (idle_connections.h), or is
  // closed at once when none is idle.
  std::size_t max_connections = 10'000;
  std::chrono::milliseconds drain_timeout{10'000};  // longest wait for in-flight requests
  tls_options tls;  // enabled: the port also accepts TLS (h2 or HTTP/1.1 by ALPN)
  std::shared_ptr<const sigv4_verifier> auth;  // set: every Kinesis request must be signed
  bool metrics_auth = false;                   // GET /metrics must be signed too
  int listener = -1;      // a socket open_listener() made: listen() adopts it instead of binding
  budget_options memory;  // server-wide memory budgets (budgets.h)
  admission_options admission;  // max_active 0: 32 per I/O thread (admission.h)
  dashboard_mode dashboard = dashboard_mode::on;
  origin_policy origins;  // --allow-origin
  stats_options statistics;
};

class server {
 public:
  server(const server_options& options, engine::engine& engine);
  ~server();

  // A listening socket on host:port, made before anything else (the data directory included)
  // is touched, so that a server that cannot listen leaves nothing behind. The descriptor is
  // the caller's until it passes it in server_options::listener.
  static result<int> open_listener(const std::string& host, unsigned short port);

  // Throws std::runtime_error when the TLS configuration cannot be loaded.
  // Binds and listens (or adopts options.listener); errors as values (address in use, bad host).
  result<void> listen();
  // The bound port (useful with port 0).
  unsigned short port() const;
  std::size_t threads() const { return contexts_.size(); }
  bool tls() const { return tls_ != nullptr; }
  // The self-signed certificate clients should trust ("" unless --tls-self-signed).
  const std::string& self_signed_certificate() const { return tls_certificate_; }
  // Runs until SIGINT/SIGTERM or stop(); then drains sessions, stops the statistics sampler
  // and returns.
  void run();
  void stop();
  // After run(): waits for the control thread to finish its task queue. Call it before the
  // engine closes; the io_contexts stay alive (stopped) until the server is destroyed, so
  // replies the engine still completes while closing have somewhere harmless to go.
  void join_control();

 private:
  void do_accept();
  void on_accept(beast::error_code ec, session_socket socket);
  void accept_later(std::chrono::milliseconds wait);  // after an accept error, retry shortly
  // Closes the connection idle the longest to make room; false when none is idle.
  bool make_room(std::string_view why);
  void begin_shutdown();
  void stop_contexts();  // lets every I/O thread's run() return

  const server_options options_;
  // Declared before the io_context: handlers destroyed with it may still touch these.
  budgets budgets_;
  admission admission_;
  api::shared_batches shared_pages_;  // pages read once for every WebSocket subscriber
  metrics metrics_;
  api::reader_registry readers_;  // open push subscriptions, for the dashboard
  stats stats_;
  dashboard dashboard_;
  api::dispatcher dispatcher_;
  router router_;
  // One thread, which the constructor names by posting the first task (so, one thread only);
  // joined in ~server while the io_contexts are still alive.
  net::thread_pool control_{1};
  std::vector<std::unique_ptr<net::io_context>> contexts_;  // [0] also runs accept and signals
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running_;
  std::size_t next_context_ = 0;  // round-robin for new connections; accept handler only
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  net::steady_timer accept_retry_;
  session_registry sessions_;
  idle_connections idle_;
  memory_trimmer trimmer_;
  log::throttle eviction_lines_;  // "closed an idle connection to make room", once a second
  std::shared_ptr<net::ssl::context> tls_;  // null without TLS
  std::string tls_certificate_;             // the self-signed certificate's path, if made
  std::atomic<bool> stopping_{false};
};

}  // namespace spate::server
