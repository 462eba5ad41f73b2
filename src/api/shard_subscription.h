// shard_subscription: SubscribeToShard's answer, an event stream (event_stream.h) pushed for
// as long as the subscription lasts.
//
// Payloads are in the request's wire codec (set_codec): JSON documents with ":content-type"
// "application/json" for JSON requests (botocore), CBOR maps with "application/x-amz-cbor-1.1"
// for CBOR ones: the Java SDK v2 hands each event's payload to the protocol's own (CBOR)
// unmarshaller, and exception events to its error unmarshaller (:exception-type, then the
// payload's __type/message), never looking at :content-type.
//
// The messages, in order:
// 1. "initial-response" with the payload {} (botocore waits for it before returning);
// 2. a SubscribeToShardEvent (Records, ContinuationSequenceNumber, MillisBehindLatest) as soon
//    as records are committed, and an empty one after `heartbeat` without records;
// 3. at the end of a closed shard, an event with ChildShards and no ContinuationSequenceNumber,
//    and the stream ends;
// 4. the stream ends without a message when the subscription's lifetime (5 minutes) is over;
//    it ends with an exception message (ResourceInUseException, ResourceNotFoundException,
//    InternalFailureException) when a newer subscription supersedes it, when the consumer is
//    deregistered or the stream deleted, or when reading fails.
//
// ContinuationSequenceNumber is the number of the last record delivered (or, before any, the
// one just below the start), so AFTER_SEQUENCE_NUMBER of it resumes with nothing lost.
//
// Subscriptions that stand at the same position of an unchanged shard share one read of the
// page and its Records list encoded once per codec (shared_batches.h); each writes its own
// continuation, lag and framing around those bytes, and its message holds them by reference
// (pushed_message), with a checksum joined to theirs rather than computed over them again.
#pragma once

#include "api/action.h"
#include "api/push_waker.h"
#include "api/shared_batches.h"
#include "engine/stream_reader.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace spate::api {

class shard_subscription final : public push_source {
 public:
  // Checks what SubscribeToShard needs before it answers (the consumer is ACTIVE, the shard
  // exists, the starting position is valid, no other subscription within 5 s) and opens the
  // subscription; errors are answered as ordinary error responses.
  static std::variant<std::shared_ptr<shard_subscription>, api_error> open(
      action_context& ctx, const metadata::consumer_record& consumer, metadata::shard_index shard,
      const engine::start_request& start);

  void set_codec(wire_codec codec) override { codec_ = codec; }
  void set_waker(std::function<void()> wake) override { waker_.set(std::move(wake)); }
  status pull(pushed_message& out) override;
  clock::time_point deadline() const override;
  std::string_view content_type() const override { return "application/vnd.amazon.eventstream"; }

 private:
  shard_subscription(action_context& ctx, metadata::consumer_record consumer);
  // A SubscribeToShardEvent of `page` (null: a page another subscription read, or a heartbeat
  // with no records). With `shared` (a kept page: its Records list encoded in the codec, and
  // that list's CRC), the event is framed around the list, which `out` then holds by
  // reference; else the Records are encoded from `page`. A page that ends its shard gives
  // ChildShards instead of a continuation.
  void append_event(pushed_message& out, const engine::records_page* page,
                    std::shared_ptr<const shared_batches::batch> shared,
                    std::int64_t millis_behind);
  // The event of the page another subscriber read from `at`, if one is kept (ctx_.batches)
  // for the shard as it is now; moves past it, answering the wake-ups this pull took
  // (push_waker::answered).
  bool pull_shared(const engine::stream_reader::read_start& at, pushed_message& out);
  shared_batches::format shared_format() const;
  // The page's Records list in the subscription's codec.
  std::string encode_record_list(const engine::records_page& page) const;
  void append_exception(pushed_message& out, const api_error& e);
  // The subscription is over: nothing more is pulled, and the consumer's claim on the shard is
  // released now, before the last message goes out, so a client that subscribes again as soon
  // as it reads the end is not refused as a second subscriber.
  void finish();

  // Declared first: the reader and the claim below call it until they are destroyed.
  push_waker waker_;
  push_waker::waits taken_wakes_;  // the wake-ups the current pull answers (take_wakes)
  action_context& ctx_;
  const metadata::consumer_record consumer_;
  engine::consumer_key key_;
  metadata::shard_index shard_ = 0;
  std::uint32_t tag_ = 0;
  storage::position next_ = 0;  // the position after the last record delivered
  std::unique_ptr<engine::subscription_claim> claim_;
  std::unique_ptr<engine::stream_reader> reader_;
  reader_registry::entry listed_;  // in the dashboard's readers while open
  clock::time_point ends_at_;
  clock::time_point last_sent_;
  wire_codec codec_ = wire_codec::json;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace spate::api
