// engine: Kinesis streams on top of the storage log and the catalog.
//
// The engine owns every stream's in-memory state (its catalog record, its shards and their
// logs, the routing table of open shards), the server secret, and a scheduler (scheduler.h)
// whose maintenance thread performs delayed state transitions (CREATING -> ACTIVE, DELETING ->
// gone, UPDATING -> ACTIVE) and retention. It reads time only from the clock in its options,
// and writes shard logs only through the file system in its options (the catalog and the
// secret are files under the data directory), so tests run it on the in-memory, fault-
// injecting file system with a manual clock (engine_sim_test.cc). It keeps each stream's settings (encryption, enhanced monitoring,
// maximum record size, warm throughput), resource policies and the account's settings
// (stream_settings.cc). It also keeps the consumers registered for enhanced fan-out, and
// wakes subscribers (shard_listener) when a shard they watch has new committed records,
// closes, or goes away with its stream. It speaks in streams, shards, positions and sequence
// numbers; it knows nothing of JSON or HTTP (the api layer turns its failures into Kinesis errors).
//
// Data directory:
//   <data-dir>/catalog.db                       streams, shards, tags, consumers
//   (metadata/catalog.h) <data-dir>/server.key                       secret for iterators and
//   tokens (secret.h) <data-dir>/streams/<name>-<created_ms>/<shardId-...>/   one shard log each
//
// Concurrency: every method may be called from any thread. Control-plane calls (create,
// delete, reshard, retention, tags, mode) are serialised by one mutex and write the catalog
// (an fsync): callers keep them off I/O threads. Puts and reads take a stream's topology lock
// shared, so they run in parallel; resharding takes it exclusively for the instant it swaps
// the shard table. Put completions run on the group committer's thread (fsync batch/always)
// or inline (never) and must not block.
#pragma once

#include "common/clock.h"
#include "common/result.h"
#include "engine/failure.h"
#include "engine/resharding.h"
#include "engine/scheduler.h"
#include "engine/secret.h"
#include "engine/sequence_number.h"
#include "engine/shard_metrics.h"
#include "engine/write_budget.h"
#include "kinesis/limits.h"
#include "metadata/catalog.h"
#include "storage/group_committer.h"
#include "storage/posix_file.h"
#include "storage/record.h"
#include "storage/shard_log.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

struct engine_options {
  std::string data_dir = "./spate-data";
  storage::fsync_policy fsync = storage::fsync_policy::batch;
  std::uint32_t shard_limit = kinesis::default_account_shard_limit;  // open, all streams
  std::uint32_t on_demand_stream_limit = kinesis::default_on_demand_stream_limit;
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  std::int64_t create_stream_ms = 0;  // time a new stream spends CREATING
  std::int64_t delete_stream_ms = 0;  // time a deleted stream spends DELETING
  std::int64_t update_stream_ms = 0;  // time a changed stream spends UPDATING
  std::int64_t iterator_ttl_ms = 300'000;
  // Lifetime of the NextTokens of ListStreams, ListShards and ListStreamConsumers (AWS: 300 s).
  std::int64_t next_token_ttl_ms = 300'000;
  std::int64_t retention_check_ms = 60'000;  // how often retention runs
  // One hour of a stream's retention period; shorter only in tests, so retention runs in seconds.
  std::int64_t retention_hour_ms = 3'600'000;
  std::int64_t consumer_ms = 0;  // time a consumer spends CREATING and DELETING
  std::uint64_t segment_size = 128u << 20;
  write_limits shard_write_limits;  // per shard; zero: unlimited (see write_budget.h)
  // Test seams for fault injection (production leaves both empty): the file system the shard
  // logs are written through (null: the engine's own POSIX one), and a hook the catalog calls
  // between the statements of each change, returning true to fail it there as a disk error
  // would (metadata/catalog.h).
  storage::file_system* file_system = nullptr;
  std::function<bool(std::string_view step)> catalog_faults;
  // The time every timestamp, delay, retention cut-off and iterator expiry is read from (null:
  // the machine's clocks). Tests pass a manual clock and call engine::run_due_work().
  const spate::clock* time = nullptr;
};

// A consistent copy of one stream's catalog state.
struct stream_snapshot {
  metadata::stream_record stream;
  std::vector<metadata::shard_record> shards;  // by index
  std::uint32_t tag = 0;                       // sequence-number stream tag
  std::size_t consumer_count = 0;              // registered consumers
  // DescribeStream lists no shards: the stream is CREATING, or was deleted while CREATING.
  bool shards_hidden = false;

  std::size_t open_shard_count() const;
  std::string sequence_number(metadata::shard_index shard, storage::position pos) const {
    return format_sequence_number({tag, shard, pos});
  }
};

struct put_result {
  metadata::shard_index shard = 0;
  storage::position pos = 0;
  std::optional<failure> error;  // throttled by the shard's write limit, or an I/O failure
};
// Receives the results and the stream's sequence-number tag (to format the numbers).
using put_callback = std::function<void(std::vector<put_result>&, std::uint32_t tag)>;

enum class iterator_type {
  trim_horizon,
  latest,
  at_sequence_number,
  after_sequence_number,
  at_timestamp
};

struct iterator_request {
  std::string stream;
  metadata::shard_index shard = 0;
  iterator_type type = iterator_type::trim_horizon;
  std::string sequence_number;    // AT_/AFTER_SEQUENCE_NUMBER
  std::int64_t timestamp_ms = 0;  // AT_TIMESTAMP
};

// What GetRecords returns: the records (views into `batch`) and where to go next.
struct records_page {
  std::string stream_name;
  storage::read_batch batch;
  std::uint32_t tag = 0;
  metadata::shard_index shard = 0;
  std::optional<std::string> next_iterator;  // absent at the end of a closed shard
  std::int64_t millis_behind = 0;
  bool end_of_shard = false;                     // a closed shard, read to its end
  std::vector<metadata::shard_record> children;  // at the end of a closed shard
};

enum class retention_change { increase, decrease };

// AWS's default cap on an on-demand stream's warm throughput (10 GiB/s).
inline constexpr std::int64_t max_warm_throughput_mibs = 10240;
// The shortest minimum throughput billing commitment (24 hours).
inline constexpr std::int64_t min_commitment_ms = 24 * 3'600'000;

// EnableEnhancedMonitoring / DisableEnhancedMonitoring: the metrics before and after.
struct monitoring_change {
  std::string stream_name;
  std::string stream_arn;
  std::vector<std::string> current;
  std::vector<std::string> desired;
};

// Where a reader starts in a shard (GetShardIterator, SubscribeToShard's StartingPosition).
struct start_request {
  iterator_type type = iterator_type::trim_horizon;
  std::string sequence_number;    // AT_/AFTER_SEQUENCE_NUMBER
  std::int64_t timestamp_ms = 0;  // AT_TIMESTAMP
};

// One read of a shard from a position: the committed records from there, and, at the end of
// a closed shard, its children.
struct shard_read {
  std::string stream_name;
  std::int64_t stream_created_ms = 0;
  metadata::shard_index shard = 0;
  storage::position from = 0;
  std::size_t max_records = 10'000;
  std::size_t max_bytes = kinesis::get_records_max_bytes;
};

// Wakes a subscriber. Called on the thread that made the change (the group committer's, a
// control thread's), possibly while engine locks are held: it must return at once and must not
// call into the engine (post the work to the subscriber's own thread instead).
class shard_listener {
 public:
  virtual ~shard_listener() = default;
  virtual void shard_changed() noexcept = 0;
};

// Keeps a listener registered on one shard for as long as it lives. Once the watch is
// destroyed the listener is not called again, so a watch must not outlive its listener.
class shard_watch {
 public:
  struct registry;
  shard_watch() = default;
  shard_watch(std::shared_ptr<registry> registry, shard_listener* listener);
  ~shard_watch();
  shard_watch(shard_watch&& other) noexcept;
  shard_watch& operator=(shard_watch&& other) noexcept;

  // A number that changes whenever the shard does (new committed records, closing, deletion):
  // a reader that found nothing new can skip the shard until it changes. Taken before a read,
  // it makes a later comparison safe: any change after it shows.
  std::uint64_t changes() const;

 private:
  void release();
  std::shared_ptr<registry> registry_;
  shard_listener* listener_ = nullptr;
};

// Who a consumer is: a stream and a consumer name (from an ARN, or given separately).
struct consumer_key {
  std::string stream;
  std::string name;
  std::optional<std::int64_t> created_s;  // from an ARN: must match the registered consumer's
};

// The right to push one shard to one consumer (SubscribeToShard), held while a subscription
// runs. A newer subscription of the same consumer and shard (5 s or more later) supersedes it.
class subscription_claim {
 public:
  struct state;
  explicit subscription_claim(std::shared_ptr<state> s);
  ~subscription_claim();
  subscription_claim(const subscription_claim&) = delete;
  subscription_claim& operator=(const subscription_claim&) = delete;
  bool superseded() const;
  // Registers the listener told when the claim is superseded (replacing any earlier one).
  void on_superseded(shard_listener* listener);

 private:
  std::shared_ptr<state> state_;
};

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
  std::string stream_arn(std::string_view name) const;
  // The stream name of an ARN of this account and region, or a failure naming the ARN.
  outcome<std::string> stream_name_from_arn(std::string_view arn) const;

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
  outcome<void> split_shard(const std::string& name, metadata::shard_index shard,
                            uint128 new_starting_hash_key);
  outcome<void> merge_shards(const std::string& name, metadata::shard_index shard,
                             metadata::shard_index adjacent);
  // Returns the open shard count before the change.
  outcome<std::size_t> update_shard_count(const std::string& name, std::size_t target);
  outcome<void> update_stream_mode(const std::string& name, metadata::stream_mode mode);

  // --- stream settings, resource policies, account settings (stream_settings.cc) ----------
  // Server-side encryption with a KMS key (not checked: there is no KMS), or none. The stream
  // is UPDATING for --update-stream-ms.
  outcome<void> start_encryption(const std::string& name, const std::string& key_id);
  outcome<void> stop_encryption(const std::string& name);
  // Adds (enable) or removes shard-level metrics, named as AWS does ("ALL": all seven).
  outcome<monitoring_change> change_enhanced_monitoring(const std::string& name,
                                                        const std::vector<std::string>& metrics,
                                                        bool enable);
  // 1024..10240 KiB per record; put() refuses larger records from then on.
  outcome<void> update_max_record_size(const std::string& name, int kib);
  // On-demand streams of an account with the minimum throughput billing commitment; returns
  // the stream's record as changed (its warm target set; current reached once ACTIVE).
  outcome<metadata::stream_record> update_warm_throughput(const std::string& name,
                                                          std::int64_t mibs);
  // The policy of a stream or consumer ARN. Putting validates nothing but the target; the
  // policy text is kept as given. get_resource_policy returns nullopt when none is attached.
  outcome<void> put_resource_policy(std::string_view arn, std::string policy);
  outcome<std::optional<std::string>> get_resource_policy(std::string_view arn) const;
  outcome<void> delete_resource_policy(std::string_view arn);
  // The account's settings, a pending end of the commitment applied once it is due.
  metadata::account_settings account_settings() const;
  // ENABLED starts a commitment (24 h minimum) or cancels a pending end; DISABLED ends it, or
  // before its earliest end schedules the end then (ENABLED_UNTIL_EARLIEST_ALLOWED_END).
  outcome<metadata::account_settings> update_account_settings(bool enable);

  // Appends a sample per shard of every stream with enhanced monitoring (shard_metrics.h).
  void enhanced_metrics(std::vector<shard_metrics_sample>& out) const;

  // --- consumers (enhanced fan-out) --------------------------------------------------------
  std::string consumer_arn(std::string_view stream, std::string_view name,
                           std::int64_t created_ms) const;
  // The key an ARN of this account and region names, or nullopt if it is not a consumer ARN.
  std::optional<consumer_key> parse_consumer_arn(std::string_view arn) const;
  outcome<metadata::consumer_record> register_consumer(const std::string& stream,
                                                       const std::string& name);
  outcome<metadata::consumer_record> describe_consumer(const consumer_key& key) const;
  // Every consumer of a stream created in the second of `created_ms` (any time if 0).
  outcome<std::vector<metadata::consumer_record>> list_consumers(std::string_view stream,
                                                                 std::int64_t created_ms = 0) const;
  outcome<void> deregister_consumer(const consumer_key& key);
  // SubscribeToShard's rule: one subscription per consumer and shard; a second call within
  // 5 s of the live one's start is refused (ResourceInUse), a later one supersedes it. Once a
  // subscription ends, its consumer and shard are free at once.
  outcome<std::unique_ptr<subscription_claim>> claim_subscription(
      const metadata::consumer_record& consumer, metadata::shard_index shard);

  // Open shards across all streams, and streams in ON_DEMAND mode (DescribeLimits).
  std::size_t open_shard_count() const;
  std::size_t on_demand_stream_count() const;

  // --- data plane --------------------------------------------------------------------------
  // Routes each record to its open shard and appends it; `done` receives one result per
  // record, in order, once the fsync policy's commit point is reached. A failure of the whole
  // request (no such stream, stream not writable) is returned instead and `done` is not called.
  outcome<void> put(std::string_view stream, std::span<const storage::record_input> records,
                    put_callback done);

  outcome<std::string> get_shard_iterator(const iterator_request& request) const;
  // Reads up to `limit` records and about `max_bytes` of record bytes (at least one record,
  // whatever its size, when any is there).
  outcome<records_page> get_records(std::string_view iterator, std::size_t limit,
                                    std::size_t max_bytes = kinesis::get_records_max_bytes) const;

  // The position a reader of `shard` starts at (what an iterator of that request points to).
  outcome<storage::position> start_position(std::string_view stream, metadata::shard_index shard,
                                            const start_request& start) const;
  // Committed records of one shard from a position (no iterator; next_iterator stays empty
  // and `children` is filled at the end of a closed shard).
  outcome<records_page> read(const shard_read& request) const;
  // Calls `listener` whenever `shard` gets newly committed records or closes, or the stream is
  // deleted, until the returned watch is destroyed.
  outcome<shard_watch> watch(std::string_view stream, std::int64_t created_ms,
                             metadata::shard_index shard, shard_listener* listener) const;

 private:
  struct shard_state;
  struct stream_state;
  explicit engine(const engine_options& options, secret key);
  result<void> load();
  result<std::shared_ptr<shard_state>> open_shard(const stream_state& stream,
                                                  const metadata::shard_record& record);
  std::shared_ptr<stream_state> find(std::string_view name) const;
  // start_position() within a stream already found.
  outcome<storage::position> start_in(const stream_state& stream, std::string_view name,
                                      metadata::shard_index shard,
                                      const start_request& start) const;
  outcome<std::shared_ptr<stream_state>> find_or_fail(std::string_view name) const;
  outcome<std::shared_ptr<stream_state>> find_active(std::string_view name) const;
  outcome<void> apply_reshard(stream_state& stream, const reshard_plan& plan);
  // Closes shard logs made for a change that failed and removes their directories, so a
  // failed create or reshard leaves nothing behind.
  void discard_shards(std::vector<std::shared_ptr<shard_state>>& made,
                      const std::string& stream_dir, bool whole_stream_dir);
  outcome<void> store_record(stream_state& stream, const metadata::stream_record& updated,
                             std::string_view doing);
  void finish_update_later(const std::string& name, std::int64_t delay_ms);
  void remove_stream_now(const std::string& name);
  void apply_retention(std::int64_t now);
  failure not_found(std::string_view name) const;
  failure not_active(const stream_state& stream) const;
  // The account's shard limit, were `additional` shards added to `open` ones.
  std::optional<failure> check_shard_limit(std::size_t open, std::size_t additional) const;
  failure on_demand_limit() const;
  failure shard_not_found(metadata::shard_index shard, std::string_view stream) const;
  failure consumer_not_found(const consumer_key& key) const;
  struct policy_target;
  outcome<policy_target> find_policy_target(std::string_view arn) const;
  // A change of a stream's settings that makes it UPDATING for --update-stream-ms.
  outcome<void> update_settings(const std::string& name, std::string_view doing,
                                const std::function<void(metadata::stream_record&)>& change);
  enum class consumer_step { activate, start_deleting, remove };
  void finish_consumer_later(const metadata::consumer_record& which, consumer_step step);
  void apply_consumer_transition(const metadata::consumer_record& which, consumer_step step);

  const engine_options options_;
  const clock& clock_;  // options_.time, or the machine's
  const secret key_;
  storage::posix_file_system own_fs_;
  storage::file_system& fs_;            // own_fs_, or engine_options::file_system
  storage::group_committer committer_;  // after fs_: must be destroyed before it
  std::unique_ptr<metadata::catalog> catalog_;

  std::mutex control_mu_;             // serialises control-plane changes and catalog writes
  std::int64_t last_created_ms_ = 0;  // guarded by control_mu_

  mutable std::shared_mutex streams_mu_;  // guards streams_ (the map, not the streams)
  std::map<std::string, std::shared_ptr<stream_state>, std::less<>> streams_;

  // Live SubscribeToShard claims by consumer ARN and shard. Shared with the claims, which
  // forget themselves in it when they end, even if that happens after the engine is gone.
  struct claim_table;
  std::shared_ptr<claim_table> claims_;

  mutable std::mutex account_mu_;  // guards account_ (written under control_mu_ too)
  metadata::account_settings account_;

  // Last: its thread runs tasks that use everything above, so it stops first.
  scheduler scheduler_;
  std::atomic<bool> closed_{false};
};

}  // namespace spate::engine
