// producer: the queue of accepted records, the sender threads that turn it into PutRecords
// calls, and the bookkeeping that retries exactly the records a call did not store.
//
// One mutex guards the queue. Each sender thread takes a batch (in queue order, skipping
// records still backing off and, in ordered mode, keys that have a record in flight), sends
// it without the lock, then settles every record: a stored record's delivery callback gets its
// result; a failed one goes back to the front of the queue with a backoff, or, past its ttl, gets
// the error. With aggregation, the batch's user records are packed per predicted shard into KPL
// aggregates first, and each aggregate's outcome settles all of its user records.
#include "client/backoff.h"
#include "client/kpl_aggregation.h"
#include "common/thread_name.h"
#include "common/uint128.h"
#include "kinesis/hash_keys.h"

#include <spate/client/producer.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_set>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;

namespace spate::client {
namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t max_record_bytes = 1u << 20;  // data + partition key, AWS's limit
constexpr std::size_t max_key_chars = 256;
// Per aggregated record, beyond its data and key: record header, index fields, table entry
// lengths (protobuf varints), rounded up; the aggregate's magic and MD5 are in the margin below.
constexpr std::size_t aggregate_record_overhead = 16;
constexpr std::size_t aggregate_margin = 64;
constexpr auto shard_map_refresh = std::chrono::seconds(30);

struct pending {
  std::uint64_t id = 0;
  std::string key;
  std::string data;
  std::string explicit_hash_key;
  delivery_callback on_delivery;
  clock::time_point accepted;
  clock::time_point not_before;  // backoff after a failed attempt
  int attempts = 0;
  std::size_t bytes() const { return key.size() + data.size(); }
};

// Waits on `cv` until `ready()`, for at most `timeout` (milliseconds::max(): no bound);
// whether `ready()` held.
template <class Ready>
bool wait_bounded(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  std::chrono::milliseconds timeout, Ready ready) {
  if (timeout == std::chrono::milliseconds::max()) {
    cv.wait(lock, ready);
    return true;
  }
  return cv.wait_for(lock, timeout, ready);
}

// An open shard's hash-key range, for predicting where an aggregate lands.
struct shard_range {
  uint128 start = 0;
  uint128 end = 0;
  std::string shard_id;
};

}  // namespace

struct producer::impl {
  impl(std::shared_ptr<kinesis> api_, producer_options opts)
      : api(std::move(api_)), options(std::move(opts)) {
    if (!api) throw std::invalid_argument("producer: no client");
    if (options.stream.stream_name.empty() && options.stream.stream_arn.empty()) {
      throw std::invalid_argument("producer: stream_name or stream_arn is required");
    }
    if (options.max_batch_records == 0 || options.max_batch_records > 500 ||
        options.max_batch_bytes == 0 || options.max_in_flight == 0 ||
        options.max_queued_records == 0 || options.max_queued_bytes == 0) {
      throw std::invalid_argument(
          "producer: batch, queue and in-flight bounds must be positive (batch <= 500)");
    }
    options.max_batch_bytes = std::min<std::size_t>(options.max_batch_bytes, 5u << 20);
    options.max_aggregate_bytes = std::clamp<std::size_t>(options.max_aggregate_bytes, 1024,
                                                          max_record_bytes - aggregate_margin);
    for (std::size_t i = 0; i < options.max_in_flight; ++i) {
      senders.emplace_back([this, i] {
        name_this_thread("spate-send-" + std::to_string(i));
        send_loop();
      });
    }
  }

  outcome<void> put(std::string key, std::string data, std::string ehk,
                    delivery_callback on_delivery, std::chrono::milliseconds max_wait) {
    if (key.empty() || key.size() > max_key_chars) {
      return error{error_code::validation, "partition key must be 1-256 characters"};
    }
    if (key.size() + data.size() > max_record_bytes) {
      return error{error_code::validation, "record (data + partition key) exceeds 1 MiB"};
    }
    if (!ehk.empty() && !parse_uint128(ehk)) {
      return error{error_code::validation, "explicit hash key must be a decimal 128-bit integer"};
    }
    std::unique_lock lock(mu);
    const std::size_t bytes = key.size() + data.size();
    auto full = [&] {
      return queue.size() + in_flight_records >= options.max_queued_records ||
             (queued_bytes + bytes > options.max_queued_bytes && queued_bytes > 0);
    };
    // Made only when refused: put() is per record.
    const auto closed_error = [] { return error{error_code::closed, "producer is closed", 0}; };
    const auto full_error = [] {
      return error{error_code::queue_full, "producer queue is full", 0};
    };
    if (closed) return closed_error();
    if (full()) {
      if (options.overflow == overflow_policy::fail) return full_error();
      if (!wait_bounded(space, lock, max_wait, [&] { return closed || !full(); })) {
        return full_error();
      }
      if (closed) return closed_error();
    }
    pending p;
    p.id = next_id++;
    p.key = std::move(key);
    p.data = std::move(data);
    p.explicit_hash_key = std::move(ehk);
    p.on_delivery = std::move(on_delivery);
    p.accepted = p.not_before = clock::now();
    queued_bytes += bytes;
    outstanding.insert(p.id);
    queue.push_back(std::move(p));
    ++stats.accepted;
    if (queue.size() >= options.max_batch_records || queued_bytes >= options.max_batch_bytes) {
      work.notify_one();
    } else if (queue.size() == 1) {
      work.notify_one();  // starts the linger clock
    }
    return ok_t{};
  }

  // Waits up to `timeout` (max(): no bound) for every record accepted before the call.
  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    const std::uint64_t target = next_id;
    ++flushing;
    work.notify_all();
    const bool all = wait_bounded(settled, lock, timeout, [&] {
      return outstanding.empty() || *outstanding.begin() >= target;
    });
    --flushing;
    return all;
  }

  void close(std::chrono::milliseconds timeout) {
    std::lock_guard once(close_mu);  // a second caller waits for the first
    {
      std::unique_lock lock(mu);
      if (closed) return;
    }
    const bool all = flush(timeout);
    {
      std::lock_guard lock(mu);
      closed = true;
      if (!all) {
        // Out of time: every record still queued, and any in flight that fails, ends now.
        abandoning = true;
        const error e{error_code::closed, "producer closed before the record was delivered", 0};
        for (auto& p : queue) {  // queued, so not in flight: busy_keys does not hold them
          p.on_delivery(e);
          ++stats.failed;
          outstanding.erase(p.id);
        }
        queue.clear();
        queued_bytes = 0;
        settled.notify_all();
      }
    }
    work.notify_all();
    space.notify_all();
    for (auto& t : senders) t.join();
    senders.clear();
  }

  // ---- sender side ----

  void send_loop() {
    std::unique_lock lock(mu);
    for (;;) {
      if (queue.empty()) {
        if (closed) return;
        work.wait(lock);
        continue;
      }
      const auto now = clock::now();
      const bool due = flushing > 0 || closed || queue.size() >= options.max_batch_records ||
                       queued_bytes >= options.max_batch_bytes ||
                       now >= queue.front().accepted + options.linger;
      if (!due) {
        work.wait_until(lock, queue.front().accepted + options.linger);
        continue;
      }
      auto batch = take_batch(now);
      if (batch.empty()) {
        work.wait_until(lock, next_eligible(now));
        continue;
      }
      in_flight_records += batch.size();
      lock.unlock();
      try {
        send(batch);
      } catch (const std::exception& ex) {  // never lose the batch to an exception
        settle_all(batch, {error_code::connection, std::string("sending failed: ") + ex.what(), 0});
      }
      lock.lock();
    }
  }

  // Fails every record of a batch that could not be sent at all.
  void settle_all(std::vector<pending>& batch, const error& e) {
    std::lock_guard lock(mu);
    in_flight_records -= batch.size();
    for (auto& p : batch) {
      if (options.ordered) busy_keys.erase(p.key);
      p.on_delivery(e);
      ++stats.failed;
      outstanding.erase(p.id);
    }
    settled.notify_all();
    space.notify_all();
    work.notify_all();
  }

  // What a record costs in a PutRecords request: its bytes, plus, when aggregated, a bound on
  // its share of the aggregate's framing (key table entry and record header).
  std::size_t request_bytes(const pending& p) const {
    return options.aggregate ? p.bytes() + p.key.size() + aggregate_record_overhead : p.bytes();
  }

  // The records the next call carries, removed from the queue (lock held).
  std::vector<pending> take_batch(clock::time_point now) {
    std::vector<pending> batch;
    std::size_t bytes = 0;
    std::unordered_set<std::string> blocked;  // ordered mode: keys that may not go this round
    for (auto it = queue.begin(); it != queue.end() && batch.size() < options.max_batch_records;) {
      if (options.ordered && (busy_keys.count(it->key) || blocked.count(it->key))) {
        blocked.insert(it->key);
        ++it;
        continue;
      }
      if (it->not_before > now) {
        if (options.ordered) blocked.insert(it->key);
        ++it;
        continue;
      }
      if (!batch.empty() && bytes + request_bytes(*it) > options.max_batch_bytes) break;
      bytes += request_bytes(*it);
      if (options.ordered) {
        blocked.insert(it->key);
        busy_keys.insert(it->key);
      }
      queued_bytes -= it->bytes();
      batch.push_back(std::move(*it));
      it = queue.erase(it);
    }
    if (!batch.empty()) space.notify_all();
    return batch;
  }

  clock::time_point next_eligible(clock::time_point now) const {
    auto next = now + std::chrono::milliseconds(50);
    for (const auto& p : queue) {
      if (p.not_before > now) next = std::min(next, p.not_before);
    }
    return next;
  }

  // One wire entry and the user records it carries (one, or an aggregate's members).
  struct entry {
    put_records_entry wire;
    std::vector<std::size_t> members;  // indices into the batch
  };

  std::vector<entry> build_entries(const std::vector<pending>& batch) {
    std::vector<entry> entries;
    if (!options.aggregate) {
      entries.reserve(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        entries.push_back({{batch[i].key, batch[i].data, batch[i].explicit_hash_key}, {i}});
      }
      return entries;
    }
    refresh_shard_map(false);
    // Pack per predicted shard, in batch order within each shard.
    struct open_aggregate {
      detail::aggregator agg;
      entry e;
    };
    std::map<std::string, open_aggregate> open;
    auto seal = [&](open_aggregate& a) {
      if (a.agg.empty()) return;
      if (a.agg.count() == 1) {
        const auto& only = batch[a.e.members.front()];
        a.e.wire = {only.key, only.data, only.explicit_hash_key};
        a.agg.finish();
      } else {
        a.e.wire.data = a.agg.finish();
      }
      entries.push_back(std::move(a.e));
      a.e = {};
    };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& p = batch[i];
      uint128 h = p.explicit_hash_key.empty() ? rulebook::partition_key_hash(p.key)
                                              : *parse_uint128(p.explicit_hash_key);
      auto& a = open[predict_shard(h, p.key)];
      detail::user_record u{p.key, p.explicit_hash_key, p.data};
      // The aggregate's own partition key counts against the 1 MiB record limit too.
      if (!a.agg.empty() &&
          a.agg.size_with(u) + a.e.wire.partition_key.size() > options.max_aggregate_bytes) {
        seal(a);
      }
      if (a.agg.empty()) {
        // The aggregate goes where its first record would: its key, and its hash pinned.
        a.e.wire.partition_key = p.key;
        a.e.wire.explicit_hash_key = to_decimal(h);
      }
      a.agg.add(std::move(u));
      a.e.members.push_back(i);
    }
    for (auto& [shard, a] : open) seal(a);
    return entries;
  }

  std::string predict_shard(uint128 h, const std::string& key) const {
    std::lock_guard lock(map_mu);
    for (const auto& r : shard_map) {
      if (h >= r.start && h <= r.end) return r.shard_id;
    }
    return "key:" + key;  // no map: aggregate per partition key, which always routes right
  }

  void refresh_shard_map(bool force) {
    {
      std::lock_guard lock(map_mu);
      if (!force && clock::now() < map_refreshed + shard_map_refresh &&
          map_refreshed != clock::time_point{})
        return;
      map_refreshed = clock::now();
    }
    std::vector<shard_range> fresh;
    list_shards_request req;
    req.stream = options.stream;
    for (;;) {
      auto page = api->list_shards(req);
      if (!page.ok()) return;  // keep the old map; aggregation still works per key
      for (const auto& s : page->shards) {
        if (!s.open()) continue;
        auto lo = parse_uint128(s.hash_range.starting_hash_key);
        auto hi = parse_uint128(s.hash_range.ending_hash_key);
        if (lo && hi) fresh.push_back({*lo, *hi, s.shard_id});
      }
      if (page->next_token.empty()) break;
      req = {};
      req.next_token = page->next_token;
    }
    std::lock_guard lock(map_mu);
    shard_map = std::move(fresh);
  }

  void send(std::vector<pending>& batch) {
    auto entries = build_entries(batch);
    put_records_request request{options.stream, {}};
    auto& wire = request.records;
    wire.reserve(entries.size());
    for (auto& e : entries) wire.push_back(std::move(e.wire));
    auto answer = api->put_records(request);

    std::vector<std::optional<error>> failure(batch.size());
    std::vector<put_result> results(batch.size());
    bool map_stale = false;
    if (!answer.ok()) {
      for (auto& f : failure) f = answer.err();
    } else {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const bool have = i < answer->records.size();
        const auto& r = have ? answer->records[i] : put_records_result_entry{};
        for (std::size_t m = 0; m < entries[i].members.size(); ++m) {
          const std::size_t idx = entries[i].members[m];
          if (!have) {
            failure[idx] = error{error_code::bad_response, "PutRecords answer lacks an entry", 200};
          } else if (!r.ok()) {
            failure[idx] = *r.failure;
          } else {
            results[idx] = {r.shard_id, r.sequence_number, static_cast<std::uint32_t>(m), 0};
          }
        }
        if (options.aggregate && have && r.ok() && entries[i].members.size() > 1 &&
            predict_shard(*parse_uint128(wire[i].explicit_hash_key), wire[i].partition_key) !=
                r.shard_id) {
          map_stale = true;
        }
      }
    }
    if (map_stale) refresh_shard_map(true);

    std::unique_lock lock(mu);
    ++stats.requests;
    in_flight_records -= batch.size();
    const auto now = clock::now();
    std::vector<pending> retry;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& p = batch[i];
      ++p.attempts;
      if (options.ordered) busy_keys.erase(p.key);
      if (!failure[i]) {
        results[i].attempts = p.attempts;
        p.on_delivery(std::move(results[i]));
        ++stats.succeeded;
        outstanding.erase(p.id);
        continue;
      }
      const bool retryable = failure[i]->retryable() ||
                             failure[i]->code == error_code::internal_failure ||
                             failure[i]->code == error_code::limit_exceeded;
      if (!retryable || abandoning || now - p.accepted >= options.record_ttl) {
        error e = *failure[i];
        if (retryable && abandoning) {
          e = {error_code::closed,
               "producer closed before the record was delivered: " + e.to_string(), 0};
        } else if (retryable) {
          e = {error_code::record_expired,
               "gave up after " + std::to_string(p.attempts) + " attempts: " + e.to_string(),
               e.http_status};
        }
        p.on_delivery(std::move(e));
        ++stats.failed;
        outstanding.erase(p.id);
        continue;
      }
      ++stats.retried;
      p.not_before = now + detail::backoff_delay(retry_policy, p.attempts - 1);
      retry.push_back(std::move(p));
    }
    // Failed records go back in front, in their order, ahead of everything accepted later.
    for (auto it = retry.rbegin(); it != retry.rend(); ++it) {
      queued_bytes += it->bytes();
      queue.push_front(std::move(*it));
    }
    settled.notify_all();
    space.notify_all();
    work.notify_all();
  }

  std::shared_ptr<kinesis> api;
  producer_options options;
  retry_options retry_policy{};  // per-record backoff: 25 ms doubling to 2 s, full jitter

  std::mutex close_mu;
  mutable std::mutex mu;
  std::condition_variable work;     // senders: records or state changed
  std::condition_variable space;    // put(): the queue has room
  std::condition_variable settled;  // flush(): records were settled
  std::deque<pending> queue;
  std::size_t queued_bytes = 0;
  std::size_t in_flight_records = 0;
  std::set<std::uint64_t> outstanding;        // ids accepted and not yet settled
  std::unordered_set<std::string> busy_keys;  // ordered mode: keys with a record in flight
  std::uint64_t next_id = 0;
  int flushing = 0;
  bool closed = false;
  bool abandoning = false;  // close() ran out of time: failed records are not retried
  producer_stats stats;

  mutable std::mutex map_mu;
  std::vector<shard_range> shard_map;
  clock::time_point map_refreshed{};

  std::vector<std::thread> senders;
};

producer::producer(std::shared_ptr<kinesis> api, producer_options options)
    : impl_(std::make_unique<impl>(std::move(api), std::move(options))) {}

producer::~producer() {
  close();
}

std::future<outcome<put_result>> producer::put(std::string partition_key, std::string data,
                                               std::string explicit_hash_key) {
  auto promise = std::make_shared<std::promise<outcome<put_result>>>();
  auto future = promise->get_future();
  auto accepted = impl_->put(
      std::move(partition_key), std::move(data), std::move(explicit_hash_key),
      [promise](outcome<put_result> r) { promise->set_value(std::move(r)); },
      std::chrono::milliseconds::max());
  if (!accepted) promise->set_value(accepted.err());
  return future;
}

outcome<void> producer::put(std::string partition_key, std::string data,
                            std::string explicit_hash_key, delivery_callback on_delivery,
                            std::chrono::milliseconds max_wait) {
  return impl_->put(std::move(partition_key), std::move(data), std::move(explicit_hash_key),
                    std::move(on_delivery), max_wait);
}

void producer::flush() {
  impl_->flush(std::chrono::milliseconds::max());
}
bool producer::flush(std::chrono::milliseconds timeout) {
  return impl_->flush(timeout);
}
void producer::close() {
  impl_->close(std::chrono::milliseconds::max());
}
void producer::close(std::chrono::milliseconds timeout) {
  impl_->close(timeout);
}

producer_stats producer::stats() const {
  std::lock_guard lock(impl_->mu);
  producer_stats s = impl_->stats;
  s.queued = impl_->queue.size();
  return s;
}

}  // namespace spate::client
