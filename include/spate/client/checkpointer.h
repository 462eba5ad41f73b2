// checkpointer: where a consumer group keeps each shard's checkpoint and lease.
//
// One entry per (group, shard). A group is an application name plus a stream; every worker of
// the group reads and writes the same entries. The store offers exactly two operations, a
// listing and a compare-and-set on the entry's version, and the consumer builds leases,
// checkpoints and handover on top of them, identically for every backend:
//   memory   in-process map (tests, single-process consumers that need no durability)
//   sqlite   one SQLite file (WAL), shareable by the processes of one machine: the default
//   redis    a Redis server (hiredis), for workers on several machines
// Backends are opened by URI with open_checkpointer(): "memory:", "sqlite:/path/file.db",
// "redis://host:port[/db]".
#pragma once

#include <spate/client/error.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spate::client {

// Checkpoint markers besides a sequence number.
inline constexpr const char* checkpoint_trim_horizon = "TRIM_HORIZON";  // read from the start
inline constexpr const char* checkpoint_shard_end = "SHARD_END";        // shard fully processed
// "AT_TIMESTAMP:<epoch ms>": start at records that arrived from then on (initial position
// AT_TIMESTAMP). "LATEST:<epoch ms>": the shard's first owner starts at LATEST, any later one
// (the first never saw a record) at that time, when the group first saw the shard.
inline constexpr const char* checkpoint_at_timestamp_prefix = "AT_TIMESTAMP:";
inline constexpr const char* checkpoint_latest_prefix = "LATEST:";

struct shard_lease {
  std::string shard_id;
  std::vector<std::string> parent_shard_ids;  // a shard is leased only after its parents end
  std::string checkpoint;       // last processed sequence number, or a marker above, or empty
  std::string owner;            // worker holding the lease; empty when free
  std::string pending_owner;    // worker that asked the owner to hand this shard over
  std::int64_t renewed_ms = 0;  // wall clock of the last write (informational only)
  std::uint64_t version = 0;    // bumped by every write; 0 = no entry yet
};

class checkpointer {
 public:
  virtual ~checkpointer() = default;

  // Every entry of the group, in shard-id order.
  virtual outcome<std::vector<shard_lease>> list(const std::string& group) = 0;

  // Stores `entry` (keyed by entry.shard_id) only if the stored version is
  // `expected_version` (0: there must be no entry). On success the stored version is
  // expected_version + 1 and the result is true; a version mismatch gives false.
  virtual outcome<bool> compare_and_set(const std::string& group, const shard_lease& entry,
                                        std::uint64_t expected_version) = 0;

  // Removes every entry of the group (the CLI's reset).
  virtual outcome<void> clear(const std::string& group) = 0;
};

// Whether opening a store may create it. Consumers create their store on first use; tools
// that only inspect or reset one (`spate checkpoints`) open an existing store or fail with
// CheckpointStoreError, so a mistyped path never leaves an empty store behind. Only the SQLite
// backend creates anything; memory and Redis ignore it.
enum class store_open { create_if_missing, existing_only };

std::shared_ptr<checkpointer> make_memory_checkpointer();
outcome<std::shared_ptr<checkpointer>> make_sqlite_checkpointer(
    const std::string& path, store_open mode = store_open::create_if_missing);
outcome<std::shared_ptr<checkpointer>> make_redis_checkpointer(const std::string& host, int port,
                                                               int db = 0);
// "memory:", "sqlite:PATH" (or a bare path), "redis://HOST:PORT[/DB]".
outcome<std::shared_ptr<checkpointer>> open_checkpointer(
    const std::string& uri, store_open mode = store_open::create_if_missing);

// The group key the consumer uses for an application reading a stream.
std::string group_key(const std::string& application, const std::string& stream_name);

}  // namespace spate::client
