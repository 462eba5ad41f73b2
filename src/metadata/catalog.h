// catalog: the durable record of streams, their shards (with lineage), tags, registered
// consumers (enhanced fan-out), resource policies and the account's settings, in SQLite.
//
// The catalog file is an SQLite database in WAL mode with synchronous=FULL: every change is
// one transaction, committed before the call returns, so a crash leaves either all of a change
// or none of it. The schema is documented in docs/format/segment_format.md ("Catalog").
//
// Shards are numbered per stream in creation order (shard_record::index); their Kinesis id is
// kinesis::shard_id(index). A shard is open until resharding gives it an ending position.
//
// Thread safety: all methods may be called from any thread; they are serialised by one mutex
// (catalog changes are rare next to record traffic, which never touches the catalog).
#pragma once

#include "common/result.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace spate::metadata {

enum class stream_status { creating, active, updating, deleting };
enum class stream_mode { provisioned, on_demand };
enum class consumer_status { creating, active, deleting };

std::string_view to_string(stream_status status);  // "CREATING", "ACTIVE", ...
std::string_view to_string(stream_mode mode);      // "PROVISIONED", "ON_DEMAND"
std::optional<stream_status> parse_stream_status(std::string_view name);
std::optional<stream_mode> parse_stream_mode(std::string_view name);
std::string_view to_string(consumer_status status);  // "CREATING", "ACTIVE", "DELETING"
std::optional<consumer_status> parse_consumer_status(std::string_view name);

// Shards are numbered and named, and their ranges reckoned, as kinesis/ says.
using kinesis::hash_range;
using kinesis::shard_index;

struct stream_record {
  std::string name;
  std::string arn;
  stream_status status = stream_status::creating;
  stream_mode mode = stream_mode::provisioned;
  int retention_hours = 24;
  std::int64_t created_ms = 0;
  std::string encryption_type = "NONE";
  std::string kms_key_id;            // empty unless encryption_type is KMS
  shard_index next_shard_index = 0;  // the index the next created shard gets
  std::map<std::string, std::string> tags;
  // Enhanced monitoring: the enabled shard-level metrics, in AWS's order (never "ALL").
  std::vector<std::string> shard_level_metrics;
  int max_record_size_kib = kinesis::min_record_size_kib;  // data + key (UpdateMaxRecordSize)
  std::int64_t warm_target_mibs = 0;                       // UpdateStreamWarmThroughput's target
  std::int64_t warm_current_mibs = 0;  // reached once the stream is ACTIVE again
};

struct shard_record {
  shard_index index = 0;
  hash_range range;
  std::optional<shard_index> parent;
  std::optional<shard_index> adjacent_parent;
  std::uint64_t starting_position = 0;
  std::optional<std::uint64_t> ending_position;  // set when the shard is closed
  std::int64_t created_ms = 0;

  bool is_open() const { return !ending_position; }
  friend bool operator==(const shard_record&, const shard_record&) = default;
};

// A consumer registered for enhanced fan-out (RegisterStreamConsumer).
struct consumer_record {
  std::string stream;
  std::string name;
  std::string arn;  // ...:stream/<stream>/consumer/<name>:<created, epoch seconds>
  consumer_status status = consumer_status::creating;
  std::int64_t created_ms = 0;

  friend bool operator==(const consumer_record&, const consumer_record&) = default;
};

// A resource policy (PutResourcePolicy) of a stream, or of one of its consumers.
struct policy_record {
  std::string arn;       // the stream's or the consumer's ARN
  std::string stream;    // the stream it belongs to (deleted with it)
  std::string consumer;  // the consumer's name; empty for the stream's own policy
  std::string policy;    // the JSON document, as given

  friend bool operator==(const policy_record&, const policy_record&) = default;
};

// The account's settings (UpdateAccountSettings): the minimum throughput billing commitment.
// Times are epoch milliseconds, 0 when unset.
struct account_settings {
  std::string commitment_status =
      "DISABLED";  // ENABLED, DISABLED, ENABLED_UNTIL_EARLIEST_ALLOWED_END
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;
  std::int64_t earliest_end_ms = 0;

  friend bool operator==(const account_settings&, const account_settings&) = default;
};

// A shard that resharding closes, and the position after its last record.
struct shard_closing {
  shard_index index = 0;
  std::uint64_t ending_position = 0;
};

// The catalog schema this build writes; it reads every earlier one (migrating it in place) and
// refuses a later one (errc::schema_too_new).
inline constexpr int catalog_schema_version = 3;

class catalog {
 public:
  // Opens or creates the catalog at `path` and brings its schema up to date.
  static result<std::unique_ptr<catalog>> open(const std::string& path);
  ~catalog();
  catalog(const catalog&) = delete;
  catalog& operator=(const catalog&) = delete;

  // Adds a stream with its first shards (and tags); errc::stream_exists if the name is taken.
  result<void> create_stream(const stream_record& stream, const std::vector<shard_record>& shards);
  result<stream_record> get_stream(std::string_view name);
  // Every stream, ordered by name, tags included.
  result<std::vector<stream_record>> list_streams();
  // Rewrites a stream's mutable fields: status, mode, retention, encryption, next shard index,
  // shard-level metrics, maximum record size, warm throughput.
  result<void> update_stream(const stream_record& stream);
  // Removes a stream with its shards and tags.
  result<void> delete_stream(std::string_view name);

  // Writes a consistent copy of the whole catalog to `path` (a new file; SQLite's VACUUM
  // INTO), for backups: every change committed before it, none after.
  result<void> copy_to(const std::string& path);

  // Every shard of a stream, in index order.
  result<std::vector<shard_record>> list_shards(std::string_view stream);
  // Closes `closing` shards and adds `children` in one transaction, together with the stream's
  // new status and next shard index (split, merge, update shard count).
  result<void> reshard(const stream_record& stream, const std::vector<shard_closing>& closing,
                       const std::vector<shard_record>& children);

  // Adds or overwrites tags; removes tags by key (absent keys are ignored).
  result<void> put_tags(std::string_view stream, const std::map<std::string, std::string>& tags);
  result<void> remove_tags(std::string_view stream, const std::vector<std::string>& keys);

  // Adds a consumer, or rewrites its status; errc::stream_not_found if the stream is gone.
  result<void> put_consumer(const consumer_record& consumer);
  // Removes a consumer (absent consumers are ignored), with its resource policy.
  result<void> delete_consumer(std::string_view stream, std::string_view name);
  // Every consumer of a stream, ordered by creation time.
  result<std::vector<consumer_record>> list_consumers(std::string_view stream);

  // Adds or replaces the policy of `policy.arn`; errc::stream_not_found if the stream is gone.
  // Policies go with their stream (delete_stream) and their consumer (delete_consumer).
  result<void> put_policy(const policy_record& policy);
  // Removes a policy (an absent one is ignored).
  result<void> delete_policy(std::string_view arn);
  // Every policy, ordered by ARN.
  result<std::vector<policy_record>> list_policies();

  // The account's settings (the defaults until first written).
  result<account_settings> get_account_settings();
  result<void> put_account_settings(const account_settings& settings);

  // Test hook: called with a step name between the statements of every transaction, so a crash
  // test can end the process in the middle of one, and a fault test can fail the change there
  // (return true: the change fails with SQLITE_IOERR and is rolled back, as a disk error would).
  void set_fault_hook(std::function<bool(std::string_view step)> hook);

 private:
  explicit catalog(sqlite3* db);
  result<void> exec(const char* sql);
  result<void> ensure_stream_exists(std::string_view name);
  result<void> insert_shards(std::string_view stream, const std::vector<shard_record>& shards);
  result<std::map<std::string, std::string>> load_tags(std::string_view stream);
  result<void> write_stream_row(const stream_record& stream, bool insert);
  result<void> step(std::string_view name);

  std::mutex mu_;
  sqlite3* db_;  // owned; closed by the destructor
  std::function<bool(std::string_view)> fault_hook_;
};

}  // namespace spate::metadata
