// budgets: the server-wide memory budgets every connection and protocol draws from, so that
// what spated holds in memory is bounded by its flags whatever its clients do:
//   requests     bodies of requests in flight, reserved when a request's header arrives
//                (before its body is read) and held until it is answered
//                (--max-inflight-bytes);
//   responses    answers produced and not yet written to their readers; GetRecords reserves
//                before it reads records, and reads less (or answers 503) when the budget is
//                short (--max-response-bytes);
//   subscribers  messages queued to push subscribers (WebSocket and SubscribeToShard), on top
//                of each subscriber's own cap (--max-subscriber-bytes).
// Each is rendered in /metrics as spate_memory_budget_{used,limit,peak}_bytes and
// spate_memory_budget_refusals_total, labelled by budget.
//
// Thread safety: see memory_budget.h; the struct itself is fixed after construction.
#pragma once

#include "common/memory_budget.h"

#include <cstddef>

namespace spate::server {

struct budget_options {
  std::size_t request_bytes = 256u << 20;
  std::size_t response_bytes = 256u << 20;
  std::size_t subscriber_bytes = 256u << 20;
};

// A request body of unknown length (chunked, or HTTP/2 without content-length) reserves this
// much at first and grows by as much as its bytes arrive.
inline constexpr std::size_t body_granule = 64u << 10;

// The most one pushed message may hold once encoded (records of at most push_limits'
// max_message_bytes, base64 in JSON, plus framing): what a subscriber reserves before it
// pulls the next message.
inline constexpr std::size_t max_pushed_message_bytes = 2u << 20;

struct budgets {
  explicit budgets(const budget_options& o)
      : requests("requests", o.request_bytes),
        responses("responses", o.response_bytes),
        subscribers("subscribers", o.subscriber_bytes) {}
  memory_budget requests;
  memory_budget responses;
  memory_budget subscribers;
};

}  // namespace spate::server
