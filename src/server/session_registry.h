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
  // Registers a session; once the server is stopping the session is stopped at once instead.
  void add(const std::shared_ptr<stoppable>& session) {
    {
      std::lock_guard lock(mu_);
      if (!closed_) {
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
        sessions_.push_back(session);
        return;
      }
    }
    session->stop();
  }

  // Closes the registry and returns every live session.
  std::vector<std::weak_ptr<stoppable>> close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    return std::move(sessions_);
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<stoppable>> sessions_;  // guarded by mu_
  bool closed_ = false;                             // guarded by mu_
};

}  // namespace spate::server
