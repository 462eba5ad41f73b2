// push_session: SubscribeToShard's answer on an HTTP/1.1 connection: the response header,
// then the event stream as chunks (Transfer-Encoding: chunked) for as long as the source
// runs, then the last chunk; the connection then closes (the header says so).
//
// The session pulls from its source only when its previous chunk has been written, so a
// subscriber that reads slowly is served at its own pace: nothing queues up in the server
// (the records wait in the log), and producers and other subscribers are unaffected. A chunk
// holds at most `chunk_bytes` of messages (plus one), and is pulled only once the server-wide
// subscribers budget (budgets.h) has granted room for it; when the budget has none, the session
// waits and tries again shortly (the records wait in the log), and the chunk's memory is given
// back once it is written.
//
// A template over the connection's stream (plain or TLS), like http_session.
// Lifecycle: created by the http_session that read the request, which hands over its socket;
// it ends when the source finishes, the peer closes, a write fails or times out, or stop().
// Thread safety: all state lives on the connection's I/O thread; stop() from any thread.
#pragma once

#include "api/push_source.h"
#include "common/memory_budget.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/session_registry.h"

#include <atomic>
#include <chrono>
#include <memory>

namespace spate::server {

template <class Stream>
class push_session final : public stoppable,
                           public std::enable_shared_from_this<push_session<Stream>> {
 public:
  static constexpr std::size_t chunk_bytes = 256u << 10;

  push_session(Stream&& stream, http::response<http::empty_body>&& header,
               std::shared_ptr<api::push_source> source, metrics& stats, memory_budget& budget,
               std::chrono::milliseconds write_timeout);
  ~push_session() override;

  void start();
  void stop() override;
  session_executor executor() { return stream_.get_executor(); }
  void on_wake() { wake_timer_.cancel(); }

 private:
  net::awaitable<void> run();
  net::awaitable<void> watch_peer();
  void end();

  Stream stream_;
  http::response<http::empty_body> header_;
  std::shared_ptr<api::push_source> source_;  // released as soon as the session ends
  metrics& stats_;
  memory_budget& budget_;
  const std::chrono::milliseconds write_timeout_;
  net::steady_timer wake_timer_;  // waits for the source's waker or deadline
  bool ended_ = false;
};

// Installs a waker on `source` that calls session->on_wake() on the session's own thread;
// wake-ups that arrive while one is already on its way are folded into it. It holds the
// session weakly, so a wake-up never keeps a session alive nor destroys it on another thread.
template <class Session>
void install_waker(api::push_source& source, const std::shared_ptr<Session>& session) {
  struct wake_state {
    wake_state(session_executor e, std::weak_ptr<Session> s) : executor(e), session(std::move(s)) {}
    session_executor executor;
    std::weak_ptr<Session> session;
    std::atomic<bool> posted{false};
  };
  auto state = std::make_shared<wake_state>(session->executor(), session);
  source.set_waker([state] {
    if (state->posted.exchange(true, std::memory_order_acq_rel)) return;
    net::post(state->executor, [state] {
      state->posted.store(false, std::memory_order_release);
      if (auto s = state->session.lock()) s->on_wake();
    });
  });
}

}  // namespace spate::server
