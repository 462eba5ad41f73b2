// shard_subscription: SubscribeToShard's event stream.
#include "api/shard_subscription.h"

#include "api/cbor_codec.h"
#include "api/record_encoding.h"
#include "common/event_stream.h"
#include "engine/sequence_number.h"

#include <optional>
#include <string>

namespace spate::api {
namespace {

using header = std::pair<std::string_view, std::string_view>;

// The ":content-type" of the events' payloads.
std::string_view payload_type(wire_codec codec) {
  return codec == wire_codec::cbor ? content_type_of(codec) : "application/json";
}

}  // namespace

shard_subscription::shard_subscription(action_context& ctx, metadata::consumer_record consumer)
    : ctx_(ctx), consumer_(std::move(consumer)) {
  key_.stream = consumer_.stream;
  key_.name = consumer_.name;
  key_.created_s = consumer_.created_ms / 1000;
}

std::variant<std::shared_ptr<shard_subscription>, api_error> shard_subscription::open(
    action_context& ctx, const metadata::consumer_record& consumer, metadata::shard_index shard,
    const engine::start_request& start) {
  std::shared_ptr<shard_subscription> sub(new shard_subscription(ctx, consumer));
  sub->shard_ = shard;
  auto reader = engine::stream_reader::open(ctx.engine,
                                            {.stream = consumer.stream,
                                             .shard = shard,
                                             .start = start,
                                             .max_bytes = ctx.push.max_message_bytes},
                                            &sub->waker_);
  if (!reader) return from_failure(reader.error());
  sub->reader_ = std::move(*reader);
  sub->waker_.reserve(1);
  sub->taken_wakes_.reserve(1);
  sub->tag_ = sub->reader_->stream_tag();
  sub->next_ = sub->reader_->next_position();
  // Claimed last: a request refused for another reason must not count as a subscription.
  auto claim = ctx.engine.claim_subscription(consumer, shard);
  if (!claim) return from_failure(claim.error());
  sub->claim_ = std::move(*claim);
  sub->claim_->on_superseded(&sub->waker_);
  if (ctx.readers) {
    sub->listed_ = ctx.readers->add({.type = reader_registry::kind::event_stream,
                                     .stream = consumer.stream,
                                     .shard = kinesis::shard_id(shard),
                                     .consumer = consumer.name,
                                     .since_ms = ctx.engine.time().wall_ms()});
  }
  const auto now = clock::now();
  sub->ends_at_ = now + ctx.push.subscription_lifetime;
  sub->last_sent_ = now;
  return sub;
}

push_source::clock::time_point shard_subscription::deadline() const {
  return std::min(ends_at_, last_sent_ + ctx_.push.heartbeat);
}

push_source::status shard_subscription::pull(pushed_message& out) {
  if (!started_) {
    started_ = true;
    const header headers[] = {{":event-type", "initial-response"},
                              {":content-type", payload_type(codec_)},
                              {":message-type", "event"}};
    event_stream::append_message(out.head, headers, codec_ == wire_codec::cbor ? "\xa0" : "{}");
    return status::message;
  }
  if (done_) return status::finished;
  const auto now = clock::now();
  if (now >= ends_at_) {
    finish();
    return status::finished;
  }
  if (claim_->superseded()) {
    finish();
    append_exception(out, {"ResourceInUseException",
                           "Another subscription for consumer " + consumer_.arn + " and shard " +
                               kinesis::shard_id(shard_) + " has taken over this one."});
    return status::message;
  }
  auto current = ctx_.engine.describe_consumer(key_);
  if (!current || current->status != metadata::consumer_status::active) {
    finish();
    append_exception(out, resource_not_found("Consumer " + consumer_.arn +
                                             " is no longer registered with the stream."));
    return status::message;
  }
  // This read sees every change up to the wake-up, whose records have waited since then.
  waker_.take_wakes(taken_wakes_);
  std::optional<engine::stream_reader::read_start> at;
  if (ctx_.batches) {
    at = reader_->next_read();
    if (at && pull_shared(*at, out)) {
      last_sent_ = now;
      return status::message;
    }
  }
  auto page = reader_->read();
  if (!page) {
    finish();
    append_exception(out, from_failure(page.error()));
    return status::message;
  }
  listed_.behind(*page ? (*page)->millis_behind : 0);
  if (*page) {
    const auto& p = **page;
    next_ = p.batch.next;
    ctx_.traffic.records_out(consumer_.stream, p.batch.records.size(), p.batch.bytes);
    waker_.answered(taken_wakes_, push_waker::page::of(p, out), *reader_);
    // The Records list, encoded once for the other subscribers that stand where this one stood
    // if the page is what they would read (shared_batches::sharable).
    if (at && shared_batches::sharable(p, *at)) {
      auto shared = shared_batches::describe(p, ctx_.engine.time().wall_ms());
      shared->encoded = encode_record_list(p);
      shared->encoded_crc = event_stream::crc32(shared->encoded);
      ctx_.batches->keep(*reader_, *at, shared_format(), shared);
      append_event(out, &p, std::move(shared), p.millis_behind);
    } else {
      append_event(out, &p, nullptr, p.millis_behind);
    }
    if (p.end_of_shard) finish();
    last_sent_ = now;
    return status::message;
  }
  if (now - last_sent_ >= ctx_.push.heartbeat) {
    append_event(out, nullptr, nullptr, 0);
    last_sent_ = now;
    return status::message;
  }
  return status::idle;
}

shared_batches::format shard_subscription::shared_format() const {
  return codec_ == wire_codec::cbor ? shared_batches::format::event_records_cbor
                                    : shared_batches::format::event_records_json;
}

bool shard_subscription::pull_shared(const engine::stream_reader::read_start& at,
                                     pushed_message& out) {
  const auto page = ctx_.batches->take(*reader_, at, shared_format());
  if (!page) return false;
  waker_.answered(taken_wakes_, push_waker::page::of(at, *page, out), *reader_);
  next_ = page->next;
  const std::int64_t behind = page->behind_at(ctx_.engine.time().wall_ms());
  listed_.behind(behind);
  ctx_.traffic.records_out(consumer_.stream, page->record_count, page->record_bytes);
  append_event(out, nullptr, page, behind);
  return true;
}

void shard_subscription::finish() {
  done_ = true;
  claim_.reset();
  listed_ = {};
}

std::string shard_subscription::encode_record_list(const engine::records_page& page) const {
  std::string list;
  list.reserve(encoded_size_hint(page));
  const auto encoder = make_encoder(codec_, list);
  write_record_list(*encoder, page);
  return list;
}

void shard_subscription::append_event(pushed_message& out, const engine::records_page* page,
                                      std::shared_ptr<const shared_batches::batch> shared,
                                      std::int64_t millis_behind) {
  std::string payload;
  payload.reserve(!shared && page ? encoded_size_hint(*page) : 256);
  const auto encoder = make_encoder(codec_, payload);
  auto& enc = *encoder;
  enc.begin_object();
  enc.key("Records");
  std::size_t records_at = 0;  // where the shared Records list belongs in the payload
  if (shared) {
    enc.encoded({});  // the place of the list, whose bytes are written from `shared` itself
    records_at = payload.size();
  } else if (page) {
    write_record_list(enc, *page);  // straight into the payload: nobody else takes this page
  } else {
    enc.begin_array();
    enc.end_array();
  }
  if (page && page->end_of_shard) {
    enc.key("MillisBehindLatest");
    enc.integer(0);
    write_child_shards(enc, page->children);
  } else {
    enc.key("ContinuationSequenceNumber");
    enc.string(next_ == 0 ? engine::shard_start_sequence_number(tag_, shard_)
                          : engine::format_sequence_number({tag_, shard_, next_ - 1}));
    enc.key("MillisBehindLatest");
    enc.integer(millis_behind);
  }
  enc.end_object();
  const header headers[] = {{":event-type", "SubscribeToShardEvent"},
                            {":content-type", payload_type(codec_)},
                            {":message-type", "event"}};
  if (!shared) {
    event_stream::append_message(out.head, headers, payload);
    return;
  }
  // Closing the map rewrote only its first byte (a CBOR map's count, under 24 members), so the
  // payload still splits at `records_at`.
  const std::string_view whole = payload;
  event_stream::frame_around(out.head, out.tail, headers, whole.substr(0, records_at),
                             shared->encoded, shared->encoded_crc, whole.substr(records_at));
  const std::string* records = &shared->encoded;
  out.shared = std::shared_ptr<const std::string>(std::move(shared), records);
}

void shard_subscription::append_exception(pushed_message& out, const api_error& e) {
  const header headers[] = {{":exception-type", e.type},
                            {":content-type", payload_type(codec_)},
                            {":message-type", "exception"}};
  event_stream::append_message(out.head, headers, error_body(e, codec_));
}

}  // namespace spate::api
