// session_registry: the sessions a graceful shutdown must stop. HTTP sessions are registered
// when accepted; a connection that turns into a push session (SubscribeToShard, WebSocket)
// registers the new session as it hands over.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

namespace spate::server {

class stoppable {
 public:
  virtual ~stoppable() = default;
  // Finish promptly and close; safe from any thread.
  virtual void stop() = 0;
};

class session_registry {
 public:
  // Registers a session; once the server is stopping the session is stopped at once (and still
  // tracked, so the drain waits for it too).
  void add(const std::shared_ptr<stoppable>& session) {
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sessions_.push_back(session);
      stopping = closed_;
    }
    if (stopping) session->stop();
  }

  // Marks the server as stopping and returns every live session, to be stopped.
  std::vector<std::shared_ptr<stoppable>> close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    std::vector<std::shared_ptr<stoppable>> live;
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    return live;
  }

  // Whether any registered session is still alive.
  bool any_alive() {
    std::lock_guard lock(mu_);
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    return !sessions_.empty();
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<stoppable>> sessions_;  // guarded by mu_
  bool closed_ = false;                             // guarded by mu_
};

}  // namespace spate::server
