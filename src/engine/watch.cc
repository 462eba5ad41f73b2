// watch: subscriber wake-ups (shard_watch) and SubscribeToShard's one-subscription rule.
#include "common/clock.h"
#include "engine/engine.h"
#include "engine/stream_state.h"

#include <fmt/format.h>

namespace spate::engine {

// --- shard_watch -------------------------------------------------------------------------

shard_watch::shard_watch(std::shared_ptr<registry> registry, shard_listener* listener)
    : registry_(std::move(registry)), listener_(listener) {
  std::lock_guard lock(registry_->mu);
  registry_->listeners.push_back(listener_);
  registry_->count.store(registry_->listeners.size(), std::memory_order_seq_cst);
}

shard_watch::~shard_watch() {
  release();
}

shard_watch::shard_watch(shard_watch&& other) noexcept
    : registry_(std::move(other.registry_)), listener_(std::exchange(other.listener_, nullptr)) {}

shard_watch& shard_watch::operator=(shard_watch&& other) noexcept {
  if (this != &other) {
    release();
    registry_ = std::move(other.registry_);
    listener_ = std::exchange(other.listener_, nullptr);
  }
  return *this;
}

std::uint64_t shard_watch::changes() const {
  return registry_ ? registry_->changes.load(std::memory_order_seq_cst) : 0;
}

void shard_watch::release() {
  if (!registry_) return;
  std::lock_guard lock(registry_->mu);
  auto& list = registry_->listeners;
  if (auto it = std::find(list.begin(), list.end(), listener_); it != list.end()) list.erase(it);
  registry_->count.store(list.size(), std::memory_order_release);
  registry_.reset();
  listener_ = nullptr;
}

outcome<shard_watch> engine::watch(std::string_view name, std::int64_t created_ms,
                                   metadata::shard_index shard, shard_listener* listener) const {
  auto stream = find(name);
  if (!stream) return not_found(name);
  std::shared_lock lock(stream->mu);
  if (stream->record.created_ms != created_ms) return not_found(name);
  if (shard >= stream->shards.size()) return shard_not_found(shard, name);
  return shard_watch(stream->shards[shard]->watchers, listener);
}

// --- subscription claims -----------------------------------------------------------------

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

// One live subscription per consumer and shard. A call within 5 s of the live one's start is
// refused; a later call takes over, and the earlier subscription ends with ResourceInUse. When
// a subscription ends, its consumer and shard are free again at once.
outcome<std::unique_ptr<subscription_claim>> engine::claim_subscription(
    const metadata::consumer_record& consumer, metadata::shard_index shard) {
  constexpr std::int64_t takeover_after_ms = 5'000;
  const std::int64_t now = clock_.steady_ms();  // a duration: the wall clock may step
  const auto key = std::make_pair(consumer.arn, shard);
  auto fresh = std::make_shared<subscription_claim::state>();
  fresh->started_ms = now;
  fresh->release = [table = claims_, key, raw = fresh.get()] {
    std::lock_guard lock(table->mu);
    if (auto it = table->live.find(key); it != table->live.end() && it->second.get() == raw) {
      table->live.erase(it);
    }
  };
  std::shared_ptr<subscription_claim::state> previous;
  {
    std::lock_guard lock(claims_->mu);
    auto& slot = claims_->live[key];
    if (slot && now - slot->started_ms < takeover_after_ms) {
      return failure{failure_kind::resource_in_use,
                     fmt::format("Another active subscription exists for this consumer: "
                                 "{}:{}:{}:{}",
                                 options_.account_id, consumer.stream, kinesis::shard_id(shard),
                                 consumer.name)};
    }
    previous = std::exchange(slot, fresh);
  }
  if (previous) previous->supersede();
  return std::make_unique<subscription_claim>(std::move(fresh));
}

}  // namespace spate::engine
