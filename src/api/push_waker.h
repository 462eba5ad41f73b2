// push_waker: the shard_listener a push source registers with the engine; it forwards wake-ups
// to the waker the server installs, remembering one that arrives before the server has.
#pragma once

#include "engine/engine.h"

#include <functional>
#include <mutex>

namespace spate::api {

class push_waker final : public engine::shard_listener {
 public:
  void shard_changed() noexcept override {
    std::lock_guard lock(mu_);
    if (wake_) {
      wake_();
    } else {
      pending_ = true;
    }
  }

  void set(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    if (pending_ && wake_) wake_();
    pending_ = false;
  }

 private:
  std::mutex mu_;
  std::function<void()> wake_;  // guarded by mu_
  bool pending_ = false;        // guarded by mu_
};

}  // namespace spate::api
