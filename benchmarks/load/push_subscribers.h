// push_subscribers: the receiving side of spate-push-bench. Three kinds of subscription, one
// connection each, all reading from the live end (LATEST) of a stream:
//   websocket_subscription     GET /v1/subscribe?stream=NAME&from=LATEST, every shard at once
//   event_stream_subscription  SubscribeToShard for one (consumer, shard): a chunked HTTP
//                              response of event-stream messages, decoded as they arrive
//   poll_subscription          GetShardIterator at LATEST, then GetRecords on one shard, with a
//                              pause (200 ms, AWS's usual pace) after every answer
// and what they count. A subscriber (what --subscribers counts) is one WebSocket, or one
// consumer or poller with a subscription per shard; its subscriptions share a tally.
//
// For every record received, the lane reads the send time stamped at the front of its data
// (push_wire.h) and records receive time - send time in its latency histogram if the record
// was sent inside the measured window; it also counts records received per subscriber and
// checks that each shard's sequence numbers only go up (none repeated, none out of order).
// The receive time is taken once per message (a WebSocket message, an HTTP read, a GetRecords
// answer), as soon as the read completes.
//
// Lifecycle: subscriptions are made before the run and owned by their lane; run() is spawned on
// the lane's io_context and returns after close() or a failure (counted in the lane's errors).
// Thread safety: a lane and its subscriptions and tallies belong to the lane's thread, except
// the atomics in subscriber_tally, measure_window and subscription_context, which the main
// thread reads (or, for the window, sets) while the run goes on.
#pragma once

#include "benchmarks/load/http_connection.h"
#include "benchmarks/load/latency_histogram.h"
#include "benchmarks/load/push_wire.h"
#include "common/event_stream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <ratio>
#include <string>
#include <string_view>
#include <vector>

namespace spate::bench {

using clock = std::chrono::steady_clock;
static_assert(std::is_same_v<clock::period, std::nano>, "stamps are steady_clock nanoseconds");

inline std::uint64_t stamp_of(clock::time_point t) {
  return static_cast<std::uint64_t>(t.time_since_epoch().count());
}

// Failures by kind, as the report names them.
struct error_tally {
  std::map<std::string, std::uint64_t> kinds;
  std::string first;
  std::uint64_t total = 0;

  void count(const call_error& e, std::uint64_t n = 1) {
    kinds[e.kind] += n;
    total += n;
    if (first.empty()) first = e.message.empty() ? e.kind : e.kind + ": " + e.message;
  }

  void merge(const error_tally& o) {
    for (const auto& [kind, n] : o.kinds) kinds[kind] += n;
    total += o.total;
    if (first.empty()) first = o.first;
  }
};

// The measured window [from, until). Empty until set(), which the main thread calls once,
// just before production starts, while the subscribers already run.
class measure_window {
 public:
  void set(clock::time_point from, clock::time_point until) {
    from_.store(from.time_since_epoch().count(), std::memory_order_release);
    until_.store(until.time_since_epoch().count(), std::memory_order_release);
  }
  bool contains(clock::time_point t) const { return contains_stamp(stamp_of(t)); }
  bool contains_stamp(std::uint64_t ns) const {
    const auto t = static_cast<clock::rep>(ns);
    return t >= from_.load(std::memory_order_acquire) && t < until_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<clock::rep> from_{std::numeric_limits<clock::rep>::max()};
  std::atomic<clock::rep> until_{std::numeric_limits<clock::rep>::max()};
};

// What one subscriber received over the whole run.
struct subscriber_tally {
  std::atomic<std::uint64_t> received{0};  // records; the main thread watches it drain
  std::uint64_t out_of_order = 0;          // records not after their shard's previous one
  std::map<std::string, std::string, std::less<>> last_sequence;  // by shard
};

// What every subscription shares: where the server is, what to subscribe to, the window, and
// how many subscriptions are in place.
struct subscription_context {
  tcp::resolver::results_type peers;
  const sigv4_signer* signer = nullptr;
  std::string stream;
  std::chrono::milliseconds poll_interval{200};
  int poll_limit = 10'000;
  measure_window window;
  std::atomic<int> settled{0};         // in place, or failed before
  std::atomic<int> setup_failures{0};  // failed before they were in place
  std::atomic<int> running{0};         // run() coroutines not yet finished
};

class subscription;

// One I/O thread of subscribers: its io_context, its subscriptions, the parser they share (a
// message is parsed and counted before its coroutine awaits again), and its counters.
// Subscriptions are destroyed before the io_context.
struct subscriber_lane {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<subscription>> subscriptions;
  simdjson::ondemand::parser parser;
  record_batch batch;                     // the message being counted
  latency_histogram latency;              // records sent inside the window
  std::uint64_t delivered_in_window = 0;  // records received inside the window
  std::uint64_t bad_records = 0;          // data without a readable stamp
  std::uint64_t messages = 0;             // messages (or GetRecords answers) with records
  error_tally errors;

  // Counts `batch`, received at `received` by `tally`'s subscriber from `shard`.
  void deliver(subscriber_tally& tally, std::string_view shard, clock::time_point received,
               const measure_window& window) {
    if (batch.records.empty()) return;
    ++messages;
    auto last = tally.last_sequence.find(shard);
    if (last == tally.last_sequence.end())
      last = tally.last_sequence.emplace(std::string(shard), std::string()).first;
    std::string_view previous = last->second;
    const std::uint64_t now = stamp_of(received);
    for (const auto& r : batch.records) {
      if (!previous.empty() && !sequence_before(previous, r.sequence)) ++tally.out_of_order;
      previous = r.sequence;
      const auto stamp = read_stamp(r.data);
      if (!stamp || *stamp > now) {
        ++bad_records;
        continue;
      }
      if (window.contains_stamp(*stamp)) latency.record(now - *stamp);
    }
    last->second.assign(previous);  // the last record's, in the parser's buffer
    tally.received.fetch_add(batch.records.size(), std::memory_order_relaxed);
    if (window.contains(received)) delivered_in_window += batch.records.size();
  }
};

class subscription {
 public:
  subscription(subscriber_lane& lane, subscriber_tally& tally, subscription_context& ctx)
      : lane_(lane), tally_(tally), ctx_(ctx) {}
  virtual ~subscription() = default;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;

  // Subscribes, then counts what arrives until close() or a failure.
  virtual net::awaitable<void> run() = 0;
  // Ends the subscription quietly; on the lane's thread.
  virtual void close() = 0;

 protected:
  void set_ready() {
    if (settled_) return;
    settled_ = true;
    ctx_.settled.fetch_add(1, std::memory_order_acq_rel);
  }

  void fail(const call_error& e) {
    lane_.errors.count(e);
    if (settled_) return;
    settled_ = true;
    ctx_.setup_failures.fetch_add(1, std::memory_order_acq_rel);
    ctx_.settled.fetch_add(1, std::memory_order_acq_rel);
  }

  subscriber_lane& lane_;
  subscriber_tally& tally_;
  subscription_context& ctx_;
  bool closing_ = false;

 private:
  bool settled_ = false;
};

// --- WebSocket ------------------------------------------------------------------------------

class websocket_subscription final : public subscription {
 public:
  websocket_subscription(subscriber_lane& lane, subscriber_tally& tally, subscription_context& ctx)
      : subscription(lane, tally, ctx), ws_(lane.ioc.get_executor()) {}

  net::awaitable<void> run() override {
    namespace websocket = beast::websocket;
    auto& socket = beast::get_lowest_layer(ws_);
    if (auto [ec, peer] = co_await net::async_connect(socket, ctx_.peers, use_nothrow); ec) {
      fail({"connection", "connect: " + ec.message()});
      co_return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(64u << 20);
    websocket::response_type answer;
    if (auto [ec] = co_await ws_.async_handshake(answer, ctx_.signer->host_header(),
                                                 websocket_target(ctx_.stream), use_nothrow);
        ec) {
      if (answer.result_int() != 0 && answer.result_int() != 101)
        fail({"HTTP " + std::to_string(answer.result_int()), answer.body()});
      else
        fail({"connection", "WebSocket handshake: " + ec.message()});
      co_return;
    }
    set_ready();
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, use_nothrow);
      const auto received = clock::now();
      if (closing_) co_return;
      if (ec == websocket::error::closed) {
        const auto& why = ws_.reason();
        fail({"closed by server",
              std::to_string(why.code) + " " + std::string(why.reason.data(), why.reason.size())});
        co_return;
      }
      if (ec) {
        fail({"connection", "read: " + ec.message()});
        co_return;
      }
      // simdjson reads up to SIMDJSON_PADDING bytes past the end: make them part of the
      // buffer's storage (their contents do not matter).
      buffer.prepare(simdjson::SIMDJSON_PADDING);
      const auto text = buffer.cdata();
      auto parsed = parse_websocket_message(lane_.parser,
                                            {static_cast<const char*>(text.data()), text.size()},
                                            text.size() + simdjson::SIMDJSON_PADDING, lane_.batch);
      if (!parsed) {
        fail(parsed.error());
        close();
        co_return;
      }
      lane_.deliver(tally_, lane_.batch.shard, received, ctx_.window);
      buffer.consume(buffer.size());
    }
  }

  void close() override {
    closing_ = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
  }

 private:
  beast::websocket::stream<tcp::socket> ws_;
};

// --- SubscribeToShard -----------------------------------------------------------------------

inline std::string_view decode_error_name(event_stream::decode_error e) {
  using enum event_stream::decode_error;
  switch (e) {
    case prelude_checksum:
      return "prelude checksum mismatch";
    case message_checksum:
      return "message checksum mismatch";
    case bad_length:
      return "impossible lengths";
    case bad_header:
      return "bad header";
    default:
      return "none";
  }
}

class event_stream_subscription final : public subscription {
 public:
  event_stream_subscription(subscriber_lane& lane, subscriber_tally& tally,
                            subscription_context& ctx, std::string consumer_arn, std::string shard)
      : subscription(lane, tally, ctx),
        socket_(lane.ioc.get_executor()),
        consumer_arn_(std::move(consumer_arn)),
        shard_(std::move(shard)) {}

  net::awaitable<void> run() override {
    if (auto [ec, peer] = co_await net::async_connect(socket_, ctx_.peers, use_nothrow); ec) {
      fail({"connection", "connect: " + ec.message()});
      co_return;
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    const std::string request =
        ctx_.signer->request("SubscribeToShard", subscribe_to_shard_body(consumer_arn_, shard_));
    if (auto [ec, n] = co_await net::async_write(socket_, net::buffer(request), use_nothrow); ec) {
      fail({"connection", "write: " + ec.message()});
      co_return;
    }
    // The body arrives in chunks for as long as the subscription lasts: read whatever has come
    // (Beast strips the chunk framing into `scratch`) and decode every complete message.
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    beast::flat_buffer buffer;
    if (auto [ec, n] = co_await http::async_read_header(socket_, buffer, parser, use_nothrow); ec) {
      if (!closing_) fail({"connection", "read: " + ec.message()});
      co_return;
    }
    const unsigned status = parser.get().result_int();
    std::string scratch(64u << 10, '\0');
    std::string pending;  // bytes of messages not yet complete (or of an error answer)
    while (!parser.is_done()) {
      parser.get().body().data = scratch.data();
      parser.get().body().size = scratch.size();
      auto [ec, n] = co_await http::async_read_some(socket_, buffer, parser, use_nothrow);
      const auto received = clock::now();
      if (ec == http::error::need_buffer) ec = {};
      if (closing_) co_return;
      if (ec) {
        fail({"connection", "read: " + ec.message()});
        co_return;
      }
      pending.append(scratch.data(), scratch.size() - parser.get().body().size);
      if (status != 200) continue;  // an error answer: read it whole first
      std::size_t used = 0;
      for (;;) {
        auto decoded = event_stream::decode(std::string_view(pending).substr(used));
        if (decoded.error != event_stream::decode_error::none) {
          fail({"bad response", "event stream: " + std::string(decode_error_name(decoded.error))});
          close();
          co_return;
        }
        if (!decoded.msg) break;
        used += decoded.consumed;
        if (!on_message(*decoded.msg, received)) {
          close();
          co_return;
        }
      }
      pending.erase(0, used);
    }
    if (status != 200) {
      http_reply reply;
      reply.status = status;
      reply.fit(pending.size());
      std::copy(pending.begin(), pending.end(), reply.storage.begin());
      fail(reply_error(lane_.parser, reply));
      co_return;
    }
    fail({"subscription ended",
          "the server ended the subscription to " + shard_ + " (--subscription-ms?)"});
  }

  void close() override {
    closing_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // false: the subscription cannot go on (an exception message, or a bad event).
  bool on_message(event_stream::message& msg, clock::time_point received) {
    if (msg.get(":message-type") == "exception") {
      const auto type = msg.get(":exception-type");
      fail({type ? std::string(*type) : "exception", msg.payload});
      return false;
    }
    const auto event = msg.get(":event-type");
    if (event == "initial-response") {
      set_ready();
      return true;
    }
    if (event != "SubscribeToShardEvent") return true;
    const std::size_t size = msg.payload.size();
    msg.payload.resize(size + simdjson::SIMDJSON_PADDING);
    auto parsed = parse_kinesis_records(lane_.parser, std::string_view(msg.payload).substr(0, size),
                                        msg.payload.size(), lane_.batch);
    if (!parsed) {
      fail(parsed.error());
      return false;
    }
    lane_.deliver(tally_, shard_, received, ctx_.window);
    return true;
  }

  tcp::socket socket_;
  std::string consumer_arn_;
  std::string shard_;
};

// --- GetRecords polling ---------------------------------------------------------------------

class poll_subscription final : public subscription {
 public:
  poll_subscription(subscriber_lane& lane, subscriber_tally& tally, subscription_context& ctx,
                    std::string shard)
      : subscription(lane, tally, ctx),
        conn_(lane.ioc.get_executor(), ctx.peers),
        pause_(lane.ioc.get_executor()),
        shard_(std::move(shard)) {}

  net::awaitable<void> run() override {
    std::string iterator;
    {
      auto reply = co_await conn_.async_call(ctx_.signer->request(
          "GetShardIterator", shard_iterator_body(ctx_.stream, shard_, "LATEST")));
      if (closing_) co_return;
      if (!reply) {
        fail(reply.error());
        co_return;
      }
      auto parsed = parse_shard_iterator(lane_.parser, **reply);
      if (!parsed) {
        fail(parsed.error());
        co_return;
      }
      iterator = std::move(*parsed);
    }
    set_ready();
    while (!closing_) {
      auto reply = co_await conn_.async_call(
          ctx_.signer->request("GetRecords", get_records_body(iterator, ctx_.poll_limit)));
      const auto received = clock::now();
      if (closing_) co_return;
      if (!reply) {
        fail(reply.error());
        co_return;
      }
      const http_reply& answer = **reply;
      if (answer.status != 200) {
        fail(reply_error(lane_.parser, answer));
        co_return;
      }
      auto parsed =
          parse_kinesis_records(lane_.parser, answer.body(), answer.storage.size(), lane_.batch);
      if (!parsed) {
        fail(parsed.error());
        co_return;
      }
      lane_.deliver(tally_, shard_, received, ctx_.window);
      if (lane_.batch.next_iterator.empty()) co_return;  // the shard was closed and is read
      iterator = std::move(lane_.batch.next_iterator);
      pause_.expires_after(ctx_.poll_interval);
      co_await pause_.async_wait(use_nothrow);
    }
  }

  void close() override {
    closing_ = true;
    pause_.cancel();
    conn_.close();
  }

 private:
  http_connection conn_;
  net::steady_timer pause_;
  std::string shard_;
};

}  // namespace spate::bench
