// action: what one Kinesis action is to the dispatcher: its name, its request shape, whether
// it belongs to the control plane, and its handler.
//
// A handler receives a request that schema.h has already normalized and validated, and
// answers exactly once through the responder, which is cheap to call from any thread (the
// group committer's included: encoding happens later, on the connection's thread): with a
// response value (encoded by the
// dispatcher; an empty object value becomes an empty body, as AWS sends for actions without
// output), with a body_writer that streams the response into the codec, with a push_reply
// whose source the server then drains for as long as it runs, or with an api_error.
// Data-plane handlers run on the I/O thread that read the request and must not block; control-plane
// handlers run on the control thread because they write the catalog (an fsync).
#pragma once

#include "api/encoder.h"
#include "api/errors.h"
#include "api/push_source.h"
#include "api/reader_registry.h"
#include "api/schema.h"
#include "api/shared_batches.h"
#include "api/value.h"
#include "common/memory_budget.h"
#include "engine/engine.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <variant>

namespace spate::api {

// Observes record traffic for metrics (implemented by the server).
class traffic_observer {
 public:
  virtual ~traffic_observer() = default;
  virtual void records_in(std::string_view stream, std::uint64_t records, std::uint64_t bytes) = 0;
  virtual void records_out(std::string_view stream, std::uint64_t records, std::uint64_t bytes) = 0;
};

// Runs a task later on another thread (the server's control thread).
using task_runner = std::function<void(std::function<void()>)>;

// How long pushed answers run (SubscribeToShard), and the WebSocket subscriptions' limits.
struct push_limits {
  std::chrono::milliseconds subscription_lifetime{300'000};  // AWS: 5 minutes
  std::chrono::milliseconds heartbeat{5'000};  // an event at least this often when idle
  std::size_t max_message_bytes = 1u << 20;    // record bytes per pushed message
};

struct action_context {
  engine::engine& engine;
  traffic_observer& traffic;
  push_limits push;
  // The server's budget for answers queued to readers (null: unbounded, as in unit tests);
  // actions that produce large answers reserve from it before reading (budgets.h).
  memory_budget* responses = nullptr;
  // The open push subscriptions, for the dashboard (null: not listed, as in unit tests).
  reader_registry* readers = nullptr;
  // Encoded pages shared among push subscribers, WebSocket and SubscribeToShard (null: each
  // reads and encodes its own).
  shared_batches* batches = nullptr;
};

// A response body written token by token when it is encoded (for large answers), with a
// guess of its encoded size so the output buffer is allocated once.
struct body_writer {
  std::function<void(encoder&)> write;
  std::size_t size_hint = 0;
  // The response budget's grant taken before the answer's records were read (GetRecords),
  // if any; it travels with the encoded answer until it is written, resized to its size.
  std::shared_ptr<memory_budget::reservation> reserved;
};
// A long-lived answer that pushes messages (SubscribeToShard).
struct push_reply {
  std::shared_ptr<push_source> source;
};
using reply = std::variant<value, api_error, body_writer, push_reply>;
using responder = std::function<void(reply)>;

struct action {
  std::string_view name;  // e.g. "PutRecords"
  const shape* request;
  bool control_plane = false;
  void (*handle)(action_context& ctx, value& request, responder respond) = nullptr;
};

}  // namespace spate::api
