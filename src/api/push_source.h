// push_source: a feed of messages that the server pushes to one subscriber over a long-lived
// response: SubscribeToShard's event stream (shard_subscription.h) or a WebSocket
// subscription (websocket_feed.h). The api layer decides what the messages are; the server
// decides when to ask for them (as the connection can take them) and writes them.
//
// The protocol between the two:
// - the dispatcher calls set_codec() with the request's wire codec before the server sees the
//   source (SubscribeToShard's event payloads are written in it; WebSocket feeds ignore it);
// - the server calls set_waker() once, before the first pull();
// - pull() sets `out`, which comes in empty, to the next message, if there is one; `idle`
//   means nothing until the waker runs or deadline() passes, `finished` that the feed is over
//   (any last message already pulled); a message with new records says since when a wake-up
//   announced them (`woken_at`);
// - the waker may run on any thread (a commit's, a control thread's), at any time until the
//   source is destroyed: it should only schedule a pull on the subscriber's thread.
//
// Thread safety: pull(), deadline() and destruction on one thread (the subscriber's).
#pragma once

#include "api/wire_codec.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spate::api {

// One message, in three parts written one after another: `head` and `tail` are the
// subscriber's own, `shared` the bytes of a page that many subscribers send (shared_batches.h),
// held by reference so that each subscriber writes them from the one copy kept.
struct pushed_message {
  std::string head;
  std::shared_ptr<const std::string> shared;
  std::string tail;
  // Set when the message carries records a wake-up announced: the time of that wake-up, from
  // which the server measures how long they waited in it (spate_push_delay_seconds) once the
  // message is written.
  std::optional<std::chrono::steady_clock::time_point> woken_at;

  std::size_t size() const { return head.size() + (shared ? shared->size() : 0) + tail.size(); }
  std::array<std::string_view, 3> parts() const {
    return {head, shared ? std::string_view(*shared) : std::string_view(), tail};
  }
  // The whole message, appended to `out` (for writers that need it in one piece).
  void append_to(std::string& out) const {
    out.reserve(out.size() + size());
    for (const auto part : parts()) out.append(part);
  }
};

class push_source {
 public:
  enum class status { message, idle, finished };
  using clock = std::chrono::steady_clock;

  virtual ~push_source() = default;
  virtual void set_codec(wire_codec) {}
  virtual void set_waker(std::function<void()> wake) = 0;
  virtual status pull(pushed_message& out) = 0;
  // When pull() must be called again even if the waker has not run (heartbeats, expiry).
  virtual clock::time_point deadline() const = 0;
  // The media type of the response that carries the messages.
  virtual std::string_view content_type() const = 0;
};

}  // namespace spate::api
