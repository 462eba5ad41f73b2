// consumer: reads every shard of a stream concurrently and hands records to a handler, at
// least once, in order per shard, parents before children.
//
// A consumer is one worker of a group (application name + stream). The workers of a group -
// threads, processes or machines sharing a checkpointer - split the shards among themselves
// with leases:
//  - every worker lists the shards (at start, every shard_sync_interval, and at once when a
//    reader meets ChildShards) and records each one in the checkpointer;
//  - a shard can be leased only once all its parents are checkpointed SHARD_END, so records of
//    one partition key reach the handler in order across splits and merges;
//  - an owner renews its leases every lease_duration / 3; a lease whose version has not moved
//    for lease_duration (as this worker's own clock sees it: no cross-machine clock needed) is
//    expired, and any worker may take it;
//  - a worker holding fewer shards than its fair share takes free or expired leases, and asks
//    the most loaded worker to hand one over when it holds two or more more than itself; the
//    owner hands over at its next renewal, after its reader stopped and checkpointed, so a
//    shard is never processed by two live workers;
//  - a reader stops by itself when its lease has not been written for half a lease_duration
//    (the store is unreachable, say), before any other worker can see the lease expire.
// Each owned shard has its own reader thread (GetRecords polling, or SubscribeToShard when
// `efo_consumer_arn` is set). KPL aggregated records are de-aggregated before the handler sees
// them. Checkpoints are written after every checkpoint_every_records handled records, every
// checkpoint_interval, at the end of a shard, at handover and at stop().
//
// A consumer fails - it stops, and wait() returns the error - when a handler throws, when the
// stream no longer exists (ListShards answers ResourceNotFoundException; a reader that meets
// that error asks for the listing at once), and, if unreachable_timeout is set, when the
// endpoint has given no answer at all for that long. Other failed calls are retried with
// backoff for as long as it takes.
#pragma once

#include <spate/client/checkpointer.h>
#include <spate/client/client.h>
#include <spate/client/record.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spate::client {

struct record_batch {
  std::string shard_id;
  std::vector<record> records;
  std::int64_t millis_behind_latest = 0;
};

// Called from the shard's reader thread; different shards call it concurrently. The batch
// counts as handled when the call returns. An exception stops the consumer: no more batches,
// wait() returns the exception's message; stop() (or the destructor) then writes the final
// checkpoints.
using batch_handler = std::function<void(const record_batch&)>;

// A handler throws this to give its batch back unhandled without failing the consumer: the
// shard's reader stops at once and the batch is not checkpointed, so the next owner reads it
// again. For a host that is shutting down while a batch waits for it (a language binding
// whose dispatch loop has ended); the consumer keeps its other shards until stop().
struct batch_abandoned : std::exception {
  const char* what() const noexcept override { return "batch abandoned by its handler"; }
};

// Told when this worker starts processing a shard (before its first batch) and when it has
// stopped (after its last batch returned): end of shard, handover, lost lease or stop().
// Called from the shard's reader thread.
using shard_observer = std::function<void(const std::string& shard_id, bool processing)>;

struct consumer_options {
  std::string application;                    // the group's name; required
  stream_ref stream;                          // stream_name required (it names the group)
  std::string worker_id;                      // empty: host:pid:random
  std::shared_ptr<checkpointer> checkpoints;  // empty: an in-memory checkpointer
  start_position initial_position = start_position::trim_horizon();  // shards without checkpoint
  std::string efo_consumer_arn;  // set: SubscribeToShard push instead of GetRecords polling

  int max_records_per_call = 10'000;
  std::chrono::milliseconds idle_poll_interval{200};  // GetRecords pause after an empty answer
  std::uint64_t checkpoint_every_records = 10'000;
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds lease_duration{10'000};
  std::chrono::milliseconds shard_sync_interval{10'000};
  std::size_t max_leases = 0;  // 0: no cap beyond the fair share
  // Fail once every call has ended in ConnectionError or RequestTimeout (the client's own
  // retries included) for this long, with no answer in between. 0: retry forever, riding out
  // any outage (the default, right for a long-running worker; a tool a person watches sets it).
  std::chrono::milliseconds unreachable_timeout{0};
  shard_observer on_shard;  // optional
};

struct consumer_stats {
  std::uint64_t records = 0;  // handed to the handler
  std::uint64_t batches = 0;
  std::uint64_t checkpoints = 0;  // checkpoint writes
  std::uint64_t shards_finished = 0;
  std::uint64_t leases_taken = 0;
  std::uint64_t leases_lost = 0;  // handed over or expired under us
  std::vector<std::string> owned_shards;
};

class consumer {
 public:
  // Throws std::invalid_argument for invalid options.
  consumer(std::shared_ptr<kinesis> api, consumer_options options, batch_handler handler);
  ~consumer();  // stop()
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Starts the coordinator and returns; readers start as leases are taken.
  void start();
  // Stops every reader, writes final checkpoints, releases the leases so other workers take
  // them at once, withdraws this worker's requests for others' shards (and frees any lease
  // handed to it that it had not taken yet), and returns. Idempotent. Called from a handler or
  // on_shard callback it only requests the stop (no waiting on itself); the owner's stop() or
  // destructor finishes it.
  void stop();
  // Blocks until a stop is requested or the consumer fails (see above); returns the failure,
  // if any.
  outcome<void> wait();

  const std::string& worker_id() const;
  consumer_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace spate::client
