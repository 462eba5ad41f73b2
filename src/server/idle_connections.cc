// idle_connections: an LRU list of waiting connections.
#include "server/idle_connections.h"

namespace spate::server {

idle_connections::token idle_connections::enter(std::weak_ptr<evictable> connection) {
  auto e = std::make_shared<entry>();
  e->connection = std::move(connection);
  {
    std::lock_guard lock(mu_);
    e->where = idle_.insert(idle_.end(), e);
    e->listed = true;
  }
  token t;
  t.list_ = this;
  t.entry_ = std::move(e);
  return t;
}

void idle_connections::token::reset() {
  if (!entry_) return;
  {
    std::lock_guard lock(list_->mu_);
    if (entry_->listed) {
      list_->idle_.erase(entry_->where);
      entry_->listed = false;
    }
  }
  entry_.reset();
  list_ = nullptr;
}

bool idle_connections::evict_oldest() {
  for (;;) {
    std::shared_ptr<evictable> victim;
    {
      std::lock_guard lock(mu_);
      if (idle_.empty()) return false;
      auto e = idle_.front();
      idle_.pop_front();
      e->listed = false;
      victim = e->connection.lock();
    }
    if (victim) {
      victim->evict();
      return true;
    }
  }
}

std::size_t idle_connections::size() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace spate::server
