// idle_connections: the connections that wait for their client to say something (a new
// connection before its first byte, a keep-alive HTTP/1.1 connection between requests, an
// HTTP/2 connection without streams), oldest first, so that a server at --max-connections (or
// out of descriptors) can close the one idle the longest to make room for a new client
// instead of turning the new one away. A server full of idle connections then still answers
// /healthz and new producers; the idle clients reconnect if they come back, as they would
// after the idle timeout.
//
// A connection enters the list with enter() when it starts waiting and keeps the returned
// token while it waits; resetting or destroying the token (the client spoke, the connection
// closed) takes it off. evict_oldest() takes the oldest off and asks it to close; the
// connection closes only if it is still idle when that request reaches its own thread.
//
// Thread safety: every method may be called from any thread (one mutex, held for a list
// operation); a token belongs to its connection's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>

namespace spate::server {

// A connection that can be closed while idle; evict() may be called from any thread.
class evictable {
 public:
  virtual ~evictable() = default;
  virtual void evict() = 0;
};

class idle_connections {
  struct entry;

 public:
  class token {
   public:
    token() = default;
    token(token&& other) noexcept = default;
    token& operator=(token&& other) noexcept {
      if (this != &other) {
        reset();
        list_ = std::move(other.list_);
        entry_ = std::move(other.entry_);
      }
      return *this;
    }
    ~token() { reset(); }
    // Takes the connection off the list (it is busy now, or gone).
    void reset();

   private:
    friend class idle_connections;
    idle_connections* list_ = nullptr;
    std::shared_ptr<entry> entry_;
  };

  // Lists `connection` as idle from now, until the token goes.
  token enter(std::weak_ptr<evictable> connection);
  // Closes the connection idle the longest; false when none is idle.
  bool evict_oldest();
  std::size_t size() const;

 private:
  struct entry {
    std::weak_ptr<evictable> connection;
    std::list<std::shared_ptr<entry>>::iterator where;
    bool listed = false;  // guarded by the list's mutex
  };

  mutable std::mutex mu_;
  std::list<std::shared_ptr<entry>> idle_;  // guarded by mu_; oldest first
};

}  // namespace spate::server
