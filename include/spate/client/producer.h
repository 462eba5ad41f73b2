// producer: batches records into PutRecords calls, retries only the records that failed, and
// never drops a record it accepted.
//
// put() queues a record and returns at once (or blocks while the queue is at its bound, if
// overflow == block); background senders gather batches of up to max_batch_records records /
// max_batch_bytes bytes, or whatever is queued when a record has waited `linger`. Records that
// a PutRecords answer marks failed (throttled, internal failure) are retried with backoff until
// `record_ttl` passes; then their result carries the error. flush() waits until every record
// accepted before it has its result; close() flushes and stops.
//
// ordered: a partition key never has two records in flight, so records of one key land in
// the order put() accepted them, even across retries (costs throughput on hot keys; combine
// with aggregation to recover it).
// aggregate: records headed for the same shard are packed into KPL aggregated records (the
// documented format: magic F3 89 9A C2, protobuf AggregatedRecord, MD5), which the consumer,
// the KCL and the AWS Lambda de-aggregation libraries unpack.
#pragma once

#include <spate/client/client.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace spate::client {

enum class overflow_policy { block, fail };

struct producer_options {
  stream_ref stream;
  std::size_t max_batch_records = 500;       // PutRecords' limit
  std::size_t max_batch_bytes = 5u << 20;    // PutRecords' limit
  std::chrono::milliseconds linger{20};      // longest a record waits for a fuller batch
  std::size_t max_in_flight = 4;             // concurrent PutRecords calls
  std::size_t max_queued_records = 100'000;  // bound of the queue
  std::size_t max_queued_bytes = 64u << 20;
  overflow_policy overflow = overflow_policy::block;
  std::chrono::milliseconds record_ttl{30'000};  // give up retrying a record after this
  bool ordered = false;
  bool aggregate = false;
  std::size_t max_aggregate_bytes = 50u << 10;  // size of one aggregated record
};

struct put_result {
  std::string shard_id;
  std::string sequence_number;
  std::uint32_t sub_sequence = 0;  // position inside its aggregate
  int attempts = 0;                // PutRecords calls it took
};

using delivery_callback = std::function<void(outcome<put_result>)>;

struct producer_stats {
  std::uint64_t accepted = 0;  // records put() accepted
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;    // gave up (ttl) or rejected for good
  std::uint64_t retried = 0;   // record retries after a failed entry or call
  std::uint64_t requests = 0;  // PutRecords calls
  std::uint64_t queued = 0;    // waiting now
};

class producer {
 public:
  // Throws std::invalid_argument for invalid options (no stream, zero bounds).
  producer(std::shared_ptr<kinesis> api, producer_options options);
  ~producer();  // close()
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Queues a record; the future gives its shard and sequence number, or the error that made
  // the producer give up on it. Fails at once (QueueFull, Closed, validation) with a ready
  // future holding the error.
  std::future<outcome<put_result>> put(std::string partition_key, std::string data,
                                       std::string explicit_hash_key = {});

  // Queues a record whose outcome goes to `on_delivery`, or refuses it with the error
  // (validation, Closed, or QueueFull once the queue had no room for `max_wait` under
  // overflow == block; QueueFull at once under fail). An accepted record's callback runs exactly
  // once, with the producer's lock held, on a sender thread (or on the thread of a close() that
  // ran out of time): it must not call the producer and should only hand the outcome over (to a
  // queue or a promise). For bindings that collect outcomes in batches and wait in slices they
  // can interrupt.
  outcome<void> put(std::string partition_key, std::string data, std::string explicit_hash_key,
                    delivery_callback on_delivery,
                    std::chrono::milliseconds max_wait = std::chrono::milliseconds::max());

  // Waits until every record accepted before the call has a result.
  void flush();
  // The same, for at most `timeout`; false if some of those records are still unsettled.
  bool flush(std::chrono::milliseconds timeout);
  // flush(), then stops the senders; later put() calls fail with Closed.
  void close();
  // The same, flushing for at most `timeout`; then each record still queued, and each in
  // flight whose call fails, gets error Closed instead of another attempt (a process that
  // must exit: in-flight calls still finish, within the client's request timeout and retries).
  void close(std::chrono::milliseconds timeout);

  producer_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace spate::client
