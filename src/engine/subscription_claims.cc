// The table of live SubscribeToShard claims and the claims themselves.
#include "engine/subscription_claims.h"

#include "kinesis/errors.h"
#include "kinesis/identifiers.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

namespace spate::engine {

struct subscription_claim::state {
  metadata::shard_index shard = 0;
  std::int64_t started_ms = 0;  // steady_ms(): only ever compared with another steady_ms()
  std::atomic<bool> superseded{false};
  std::mutex mu;
  shard_listener* listener = nullptr;  // guarded by mu; cleared when the claim ends
  std::function<void()> release;       // forgets the claim in the engine's table

  void supersede() {
    superseded.store(true, std::memory_order_release);
    std::lock_guard lock(mu);
    if (listener) listener->shard_changed({.shard = shard, .at = std::chrono::steady_clock::now()});
  }
};

struct subscription_claims::table {
  std::mutex mu;
  std::map<std::pair<std::string, metadata::shard_index>,
           std::shared_ptr<subscription_claim::state>>
      live;  // guarded by mu
};

subscription_claims::subscription_claims(const clock& clock, std::string account_id)
    : clock_(clock), account_id_(std::move(account_id)), live_(std::make_shared<table>()) {}

subscription_claim::subscription_claim(std::shared_ptr<state> s) : state_(std::move(s)) {}

subscription_claim::~subscription_claim() {
  {
    std::lock_guard lock(state_->mu);
    state_->listener = nullptr;
  }
  state_->release();
}

bool subscription_claim::superseded() const {
  return state_->superseded.load(std::memory_order_acquire);
}

void subscription_claim::on_superseded(shard_listener* listener) {
  std::lock_guard lock(state_->mu);
  state_->listener = listener;
}

outcome<std::unique_ptr<subscription_claim>> subscription_claims::claim(
    const metadata::consumer_record& consumer, metadata::shard_index shard) {
  constexpr std::int64_t takeover_after_ms = 5'000;
  const std::int64_t now = clock_.steady_ms();  // a duration: the wall clock may step
  const auto key = std::make_pair(consumer.arn, shard);
  auto fresh = std::make_shared<subscription_claim::state>();
  fresh->shard = shard;
  fresh->started_ms = now;
  fresh->release = [table = live_, key, raw = fresh.get()] {
    std::lock_guard lock(table->mu);
    if (auto it = table->live.find(key); it != table->live.end() && it->second.get() == raw) {
      table->live.erase(it);
    }
  };
  std::shared_ptr<subscription_claim::state> previous;
  {
    std::lock_guard lock(live_->mu);
    auto& slot = live_->live[key];
    if (slot && now - slot->started_ms < takeover_after_ms) {
      return to_failure(kinesis::subscription_in_use(account_id_, consumer.stream,
                                                     kinesis::shard_id(shard), consumer.name));
    }
    previous = std::exchange(slot, fresh);
  }
  if (previous) previous->supersede();
  return std::make_unique<subscription_claim>(std::move(fresh));
}

}  // namespace spate::engine
