// engine: Kinesis streams on top of the storage log and the catalog - the facade the api
// layer calls, over parts with one job each:
//   stream_registry      the streams by name, and the failures naming what is missing
//   data_path            puts, iterators, reads, watches (the data plane)
//   subscription_claims  SubscribeToShard's one subscription per consumer and shard
//   scheduler            delayed state changes and retention, on the maintenance thread
//   consumer_registry    enhanced fan-out consumers and their ARNs (consumers.h)
//   stream_settings      encryption, monitoring, record size, warm throughput, policies and
//                        the account's settings
//   control_context      what the control plane shares: one mutex over every catalog write,
//                        storing a stream's record, activating it later, the account limits
//   resharder            SplitShard, MergeShards, UpdateShardCount carried out
//   shard_logs           a shard's state over its log; discarding what a failed change made
//   backup_snapshot      a consistent copy of the data directory, for GET /v1/backup
// and the stream lifecycle here (engine.cc): open and load, create, delete, describe, list,
// retention, tags and mode.
// The engine owns the parts, the catalog, the group committer and the server secret. It reads
// time only from the clock in its options, and writes shard logs only through the file system
// in its options (the catalog and the secret are files under the data directory), so tests run
// it on the in-memory, fault-injecting file system with a manual clock (engine_sim_test.cc).
// It speaks in streams, shards, positions and sequence numbers; it knows nothing of JSON or
// HTTP (the api layer turns its failures into Kinesis errors). Subscribers are woken through
// shard_listener when a shard they watch has new committed records, closes, or goes away.
//
// Data directory:
//   <data-dir>/catalog.db                                streams, shards, tags, consumers
//   <data-dir>/server.key                                secret for iterators and tokens
//   <data-dir>/streams/<name>-<created_ms>/<shardId-...>/  one shard log each
//
// Concurrency: every method may be called from any thread. Control-plane calls are
// serialised by one mutex and write the catalog (an fsync): callers keep them off I/O threads.
// Puts and reads take a stream's topology lock shared, so they run in parallel; resharding
// takes it exclusively for the instant it swaps the shard table. Put completions run on the
// group committer's thread (fsync batch/always) or inline (never) and must not block.
#pragma once

#include "engine/backup.h"
#include "engine/consumers.h"
#include "engine/control_context.h"
#include "engine/data_path.h"
#include "engine/resharder.h"
#include "engine/resharding.h"
#include "engine/scheduler.h"
#include "engine/secret.h"
#include "engine/shard_logs.h"
#include "engine/shard_metrics.h"
#include "engine/statistics.h"
#include "engine/stream_registry.h"
#include "engine/stream_settings.h"
#include "engine/subscription_claims.h"
#include "engine/types.h"
#include "storage/group_committer.h"
#include "storage/posix_file.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

class engine {
 public:
  static result<std::unique_ptr<engine>> open(const engine_options& options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Stops maintenance, then syncs and closes every shard log. Idempotent.
  void close();

  const engine_options& options() const { return options_; }
  const clock& time() const { return clock_; }
  // What the maintenance thread does when it wakes: the delayed state changes now due by the
  // clock, and retention if its period has passed. For tests that drive a manual clock.
  void run_due_work() { scheduler_.run_due(); }
  // How long `stream` keeps records: its retention hours, of --retention-hour-ms each.
  std::int64_t retention_ms(const metadata::stream_record& stream) const {
    return static_cast<std::int64_t>(stream.retention_hours) * options_.retention_hour_ms;
  }
  const secret& key() const { return key_; }
  std::string stream_arn(std::string_view name) const { return control_.stream_arn(name); }
  // The stream name of an ARN of this account and region, or a failure naming the ARN.
  outcome<std::string> stream_name_from_arn(std::string_view arn) const {
    return control_.stream_name_from_arn(arn);
  }

  // --- control plane -----------------------------------------------------------------------
  outcome<void> create_stream(const std::string& name, std::uint32_t shard_count,
                              metadata::stream_mode mode,
                              const std::map<std::string, std::string>& tags);
  // Refuses a stream with registered consumers unless `enforce_consumer_deletion`.
  outcome<void> delete_stream(const std::string& name, bool enforce_consumer_deletion = true);
  outcome<stream_snapshot> describe(std::string_view name) const;
  std::vector<metadata::stream_record> list_streams() const;
  outcome<void> change_retention(const std::string& name, int hours, retention_change change);
  outcome<void> add_tags(const std::string& name, const std::map<std::string, std::string>& tags);
  outcome<void> remove_tags(const std::string& name, const std::vector<std::string>& keys);
  // Resharding (resharder.h).
  outcome<void> split_shard(const std::string& name, metadata::shard_index shard,
                            uint128 new_starting_hash_key) {
    return resharder_.split_shard(name, shard, new_starting_hash_key);
  }
  outcome<void> merge_shards(const std::string& name, metadata::shard_index shard,
                             metadata::shard_index adjacent) {
    return resharder_.merge_shards(name, shard, adjacent);
  }
  // Returns the open shard count before the change.
  outcome<std::size_t> update_shard_count(const std::string& name, std::size_t target) {
    return resharder_.update_shard_count(name, target);
  }
  outcome<void> update_stream_mode(const std::string& name, metadata::stream_mode mode);

  // --- stream settings, resource policies, account settings (stream_settings.h) -----------
  outcome<void> start_encryption(const std::string& name, const std::string& key_id) {
    return settings_.start_encryption(name, key_id);
  }
  outcome<void> stop_encryption(const std::string& name) { return settings_.stop_encryption(name); }
  outcome<monitoring_change> change_enhanced_monitoring(const std::string& name,
                                                        const std::vector<std::string>& metrics,
                                                        bool enable) {
    return settings_.change_enhanced_monitoring(name, metrics, enable);
  }
  outcome<void> update_max_record_size(const std::string& name, int kib) {
    return settings_.update_max_record_size(name, kib);
  }
  outcome<metadata::stream_record> update_warm_throughput(const std::string& name,
                                                          std::int64_t mibs) {
    return settings_.update_warm_throughput(name, mibs);
  }
  outcome<void> put_resource_policy(std::string_view arn, std::string policy) {
    return settings_.put_resource_policy(arn, std::move(policy));
  }
  outcome<std::optional<std::string>> get_resource_policy(std::string_view arn) const {
    return settings_.get_resource_policy(arn);
  }
  outcome<void> delete_resource_policy(std::string_view arn) {
    return settings_.delete_resource_policy(arn);
  }
  metadata::account_settings account_settings() const { return settings_.account_settings(); }
  outcome<metadata::account_settings> update_account_settings(bool enable) {
    return settings_.update_account_settings(enable);
  }
  void enhanced_metrics(std::vector<shard_metrics_sample>& out) const {
    settings_.enhanced_metrics(out);
  }

  // --- statistics for the dashboard (statistics.h; engine_statistics.cc) ------------------
  // Every stream's counters and shard tree.
  void statistics(std::vector<stream_statistics>& out) const;
  // One stream's, or nullopt when there is no such stream.
  std::optional<stream_statistics> statistics(std::string_view name) const;
  // The arrival time of the oldest record `shard` holds, or nullopt when it holds none (or
  // the stream or shard is gone). Reads the log: for one page view, not for sampling.
  std::optional<std::int64_t> oldest_arrival_ms(std::string_view stream,
                                                metadata::shard_index shard) const;
  // Group commit: requests made durable, and the rounds that did it (group_committer.h).
  std::uint64_t commit_requests() const { return committer_.requests(); }
  std::uint64_t commit_rounds() const { return committer_.rounds(); }
  const duration_histogram& commit_sync_durations() const { return committer_.sync_durations(); }
  storage::fsync_policy fsync() const { return committer_.policy(); }

  // --- backup (backup.h; engine_backup.cc) ---------------------------------------------------
  // A consistent snapshot of the data directory, its files open for reading. Holds the
  // control plane for the instant it takes (a catalog copy and a directory listing).
  result<backup_snapshot> take_backup();

  // --- consumers (enhanced fan-out, consumers.h) -------------------------------------------
  std::string consumer_arn(std::string_view stream, std::string_view name,
                           std::int64_t created_ms) const {
    return consumers_.consumer_arn(stream, name, created_ms);
  }
  std::optional<consumer_key> parse_consumer_arn(std::string_view arn) const {
    return consumers_.parse_consumer_arn(arn);
  }
  outcome<metadata::consumer_record> register_consumer(const std::string& stream,
                                                       const std::string& name) {
    return consumers_.register_consumer(stream, name);
  }
  outcome<metadata::consumer_record> describe_consumer(const consumer_key& key) const {
    return consumers_.describe(key);
  }
  // Every consumer of a stream created in the second of `created_ms` (any time if 0).
  outcome<std::vector<metadata::consumer_record>> list_consumers(
      std::string_view stream, std::int64_t created_ms = 0) const {
    return consumers_.list(stream, created_ms);
  }
  outcome<void> deregister_consumer(const consumer_key& key) { return consumers_.deregister(key); }
  // SubscribeToShard's rule (subscription_claims.h).
  outcome<std::unique_ptr<subscription_claim>> claim_subscription(
      const metadata::consumer_record& consumer, metadata::shard_index shard) {
    return claims_.claim(consumer, shard);
  }

  // Open shards across all streams, and streams in ON_DEMAND mode (DescribeLimits).
  std::size_t open_shard_count() const { return streams_.open_shard_count(); }
  std::size_t on_demand_stream_count() const { return streams_.on_demand_stream_count(); }

  // --- data plane (data_path.h) -------------------------------------------------------------
  // Routes each record to its open shard and appends it; `done` receives one result per
  // record, in order, once the fsync policy's commit point is reached. A failure of the whole
  // request (no such stream, stream not writable) is returned instead and `done` is not called.
  outcome<void> put(std::string_view stream, std::span<const storage::record_input> records,
                    put_callback done) {
    return data_.put(stream, records, std::move(done));
  }

  outcome<std::string> get_shard_iterator(const iterator_request& request) const {
    return data_.get_shard_iterator(request);
  }
  // Reads up to `limit` records and about `max_bytes` of record bytes (at least one record,
  // whatever its size, when any is there).
  outcome<records_page> get_records(std::string_view iterator, std::size_t limit,
                                    std::size_t max_bytes = kinesis::get_records_max_bytes) const {
    return data_.get_records(iterator, limit, max_bytes);
  }

  // The position a reader of `shard` starts at (what an iterator of that request points to).
  outcome<storage::position> start_position(std::string_view stream, metadata::shard_index shard,
                                            const start_request& start) const {
    return data_.start_position(stream, shard, start);
  }
  // Committed records of one shard from a position (no iterator; next_iterator stays empty
  // and `children` is filled at the end of a closed shard).
  outcome<records_page> read(const shard_read& request) const { return data_.read(request); }
  // Counts records a reader took from a page another reader read (read() counts its own).
  void count_shared_read(std::string_view stream, std::int64_t created_ms,
                         metadata::shard_index shard, std::size_t records,
                         std::size_t bytes) const {
    data_.count_shared_read(stream, created_ms, shard, records, bytes);
  }
  // Calls `listener` whenever `shard` gets newly committed records or closes, or the stream is
  // deleted, until the returned watch is destroyed.
  outcome<shard_watch> watch(std::string_view stream, std::int64_t created_ms,
                             metadata::shard_index shard, shard_listener* listener) const {
    return data_.watch(stream, created_ms, shard, listener);
  }

 private:
  explicit engine(const engine_options& options, secret key);
  result<void> load();
  void remove_stream_now(const std::string& name);
  void apply_retention(std::int64_t now);

  const engine_options options_;
  const clock& clock_;  // options_.time, or the machine's
  const secret key_;
  storage::posix_file_system own_fs_;
  storage::file_system& fs_;            // own_fs_, or engine_options::file_system
  storage::group_committer committer_;  // after fs_: must be destroyed before it
  std::unique_ptr<metadata::catalog> catalog_;

  std::int64_t last_created_ms_ = 0;  // guarded by control_.mu

  // The parts with one job each (their headers say what they own).
  stream_registry streams_;
  data_path data_;
  subscription_claims claims_;
  control_context control_;  // the control plane's mutex and shared steps
  consumer_registry consumers_;
  stream_settings settings_;
  shard_logs shard_logs_;
  resharder resharder_;

  // Last: its thread runs tasks that use everything above, so it stops first.
  scheduler scheduler_;
  std::atomic<bool> closed_{false};
};

}  // namespace spate::engine
