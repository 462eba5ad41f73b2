// websocket_feed: what a WebSocket subscription (GET /v1/subscribe) pushes: JSON text messages,
// one per batch of one shard's committed records.
//
// Query parameters (percent-encoded):
//   stream=NAME                 required
//   shard=shardId-NNNNNNNNNNNN  optional: one shard, ending at its end if it is closed;
//                               without it, the whole stream, following resharding (a child's
//                               records come only after its parents are exhausted)
//   from=TRIM_HORIZON | LATEST (default) | AT_TIMESTAMP:<epoch ms> |
//        AT_SEQUENCE_NUMBER:<n> | AFTER_SEQUENCE_NUMBER:<n>   (sequence numbers need `shard`)
//
// A message:
//   {"shardId":"shardId-000000000000",
//    "records":[{"sequenceNumber":"...","partitionKey":"...","data":"<base64>",
//                "arrival":<epoch ms>}, ...],
//    "millisBehindLatest":0}
// and, at the end of a closed shard, also "endOfShard":true and
// "childShards":["shardId-...", ...].
//
// The feed ends (close_code/close_reason say why) at the end of a one-shard subscription's
// closed shard (1000) or when the stream is deleted (1000); a read failure is 1011.
#pragma once

#include "api/action.h"
#include "api/push_waker.h"
#include "engine/stream_reader.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <variant>

namespace spate::api {

// The reader a subscription's request target asks for (stream, shard and start position),
// checked as open() checks it but without touching the engine; max_bytes is left for open().
std::variant<engine::reader_options, api_error> parse_subscribe_target(std::string_view target);

class websocket_feed final : public push_source {
 public:
  // Parses the request target's query and opens the reader; an error is answered as an
  // ordinary HTTP error instead of upgrading.
  static std::variant<std::shared_ptr<websocket_feed>, api_error> open(action_context& ctx,
                                                                       std::string_view target);

  void set_waker(std::function<void()> wake) override { waker_.set(std::move(wake)); }
  // A message's part up to the end of its records is `shared` when the subscribers that take
  // the same page share it (held, not copied: a 30 KB copy per subscriber per page was about a
  // tenth of a fan-out's CPU), else `head`; this subscriber's own end of it is `tail`.
  status pull(pushed_message& out) override;
  clock::time_point deadline() const override { return clock::time_point::max(); }
  std::string_view content_type() const override { return "application/json"; }

  std::uint16_t close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }

 private:
  explicit websocket_feed(action_context& ctx) : ctx_(ctx) {}
  // Sets `out` to the message of the page another subscriber read from `at`, if one is kept
  // (ctx_.batches) for the shard as it is now, and moves past it, answering the wake-ups this
  // pull took (push_waker::answered).
  bool pull_shared(const engine::stream_reader::read_start& at, pushed_message& out);

  push_waker waker_;               // declared first: the reader calls it until it is destroyed
  push_waker::waits taken_wakes_;  // the wake-ups the current pull answers (take_wakes)
  action_context& ctx_;
  std::unique_ptr<engine::stream_reader> reader_;
  reader_registry::entry listed_;  // in the dashboard's readers while open
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
  bool done_ = false;
};

}  // namespace spate::api
