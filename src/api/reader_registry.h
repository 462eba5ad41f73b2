// reader_registry: the push subscriptions open right now (SubscribeToShard event streams and
// WebSocket subscriptions), for the dashboard's readers table: which stream and shard each
// reads, for which consumer, since when, and how far behind the newest record it is.
//
// A subscription holds an `entry` for as long as it is open (RAII: destroying it takes the
// subscription off the list) and updates its MillisBehindLatest after each read with one
// relaxed store. list() copies the entries of one stream under the registry's mutex; the
// mutex is taken only when a subscription opens or closes and when the list is read, never
// per record. Memory: one small node per open subscription, bounded by the connections.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::api {

class reader_registry {
 public:
  enum class kind { event_stream, websocket };

  struct reader {
    kind type = kind::websocket;
    std::string stream;
    std::optional<std::string> shard;  // nullopt: the whole stream (a WebSocket subscription)
    std::string consumer;              // the consumer's name (event streams)
    std::int64_t since_ms = 0;
    std::int64_t millis_behind = 0;
  };

 private:
  struct node {
    reader info;  // immutable once listed, except millis_behind below
    std::atomic<std::int64_t> millis_behind{0};
  };

 public:
  // A subscription's place in the list. Empty (default) when there is no registry.
  class entry {
   public:
    entry() = default;
    entry(entry&& other) noexcept
        : registry_(std::exchange(other.registry_, nullptr)), node_(other.node_) {}
    entry& operator=(entry&& other) noexcept {
      if (this != &other) {
        leave();
        registry_ = std::exchange(other.registry_, nullptr);
        node_ = other.node_;
      }
      return *this;
    }
    ~entry() { leave(); }

    void behind(std::int64_t millis) {
      if (registry_) node_->millis_behind.store(millis, std::memory_order_relaxed);
    }

   private:
    friend class reader_registry;
    entry(reader_registry* registry, std::list<node>::iterator node)
        : registry_(registry), node_(node) {}
    void leave() {
      if (registry_) registry_->remove(node_);
      registry_ = nullptr;
    }
    reader_registry* registry_ = nullptr;
    std::list<node>::iterator node_;
  };

  entry add(reader info) {
    std::lock_guard lock(mu_);
    auto it = nodes_.emplace(nodes_.end());
    it->info = std::move(info);
    return entry(this, it);
  }

  // The readers of `stream`, in the order they subscribed.
  std::vector<reader> list(std::string_view stream) const {
    std::vector<reader> out;
    std::lock_guard lock(mu_);
    for (const auto& n : nodes_) {
      if (n.info.stream != stream) continue;
      out.push_back(n.info);
      out.back().millis_behind = n.millis_behind.load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  void remove(std::list<node>::iterator it) {
    std::lock_guard lock(mu_);
    nodes_.erase(it);
  }

  mutable std::mutex mu_;
  std::list<node> nodes_;
};

}  // namespace spate::api
