// subscription_claims: SubscribeToShard's one-subscription rule. For each consumer and shard at
// most one subscription is live; a second call within 5 s of the live one's start is refused
// (ResourceInUse), a later one takes over and the earlier one is told it was superseded. When
// a subscription ends (its claim is destroyed), its consumer and shard are free at once.
//
// Owned by the engine; a claim may outlive both (it forgets itself in a table they share).
// Threads: any. Durations are measured on the clock's steady time, which never jumps.
#pragma once

#include "engine/types.h"

#include <memory>
#include <string>

namespace spate::engine {

class subscription_claims {
 public:
  subscription_claims(const clock& clock, std::string account_id);

  outcome<std::unique_ptr<subscription_claim>> claim(const metadata::consumer_record& consumer,
                                                     metadata::shard_index shard);

 private:
  struct table;
  const clock& clock_;
  const std::string account_id_;
  std::shared_ptr<table> live_;
};

}  // namespace spate::engine
