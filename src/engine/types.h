// types: the engine's vocabulary - its options, the values its calls take and return (stream
// snapshots, put results, iterator and read requests, pages of records), and the handles it
// gives out (shard watches, subscription claims). The engine (engine.h) and its components
// (stream_registry.h, data_path.h, subscription_claims.h, scheduler.h) all speak it.
#pragma once

#include "common/clock.h"
#include "engine/failure.h"
#include "engine/sequence_number.h"
#include "engine/write_budget.h"
#include "kinesis/limits.h"
#include "metadata/catalog.h"
#include "storage/file.h"
#include "storage/group_committer.h"
#include "storage/record.h"
#include "storage/shard_log.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

struct engine_options {
  std::string data_dir = "./spate-data";
  storage::fsync_policy fsync = storage::fsync_policy::batch;
  // Under batch, a round of several log files syncs the data directory's file system at once
  // (group_committer.h); false syncs each file alone.
  bool sync_whole_volume = true;
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
  bool at_end = false;        // it reaches the shard's committed end (as of the read)
  bool end_of_shard = false;  // a closed shard, read to its end
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
  // A GetRecords call: the shard's iterator age (shard_metrics.h) is what these reads saw,
  // as AWS's GetRecords.IteratorAgeMilliseconds; pushed reads have MillisBehindLatest.
  bool get_records = false;
};

// What a shard_listener hears of a change: which shard (a whole-stream reader listens to
// several), how far its records are readable now (a change that brings no records, such as a
// superseded subscription, announces 0), and when, read once for all of the shard's listeners.
struct shard_change {
  metadata::shard_index shard = 0;
  storage::position visible_end = 0;
  std::chrono::steady_clock::time_point at;
};

// Wakes a subscriber. Called on the thread that made the change (the group committer's, a
// control thread's), possibly while engine locks are held: it must return at once and must not
// call into the engine (post the work to the subscriber's own thread instead).
class shard_listener {
 public:
  virtual ~shard_listener() = default;
  virtual void shard_changed(const shard_change& change) noexcept = 0;
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

}  // namespace spate::engine
