// shard_log: the durable, segmented, append-only log of one shard.
//
// A shard's directory holds segments (segment.h) named by their base position. Records get
// consecutive positions from 0; positions are never reused and survive restarts. The last
// segment is the active one; when an append would carry it past `segment_size`, the log rolls
// to a new segment and seals the old one (sync, then index file). Retention removes whole
// segments whose newest record is older than the retention period.
//
// Durability: `append` hands the records to the kernel before it returns, in every fsync
// policy, so a process crash never loses a record whose append returned. The `on_durable`
// callback marks the policy's commit point (group_committer.h); acknowledge clients there.
//
// Thread safety: all methods may be called from any thread. Appends, rolls and retention are
// serialised by one mutex; reads and lookups never take it, so they never wait behind an
// append or a sync.
#pragma once

#include "common/result.h"
#include "storage/file.h"
#include "storage/group_committer.h"
#include "storage/record.h"
#include "storage/recovery.h"
#include "storage/segment.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace spate::storage {

struct shard_log_options {
  // Roll to a new segment when the active one would exceed this. Default: 128 MiB.
  std::uint64_t segment_size = 128u << 20;
  // Sparse index spacing and recovery policy (segment.h).
  segment_options segment;
};

struct append_result {
  position first = 0;           // position of the first record of the batch
  position last = 0;            // position of the last record of the batch
  std::int64_t arrival_ms = 0;  // the arrival time stored with every record of the batch
};

class shard_log {
 public:
  using durable_callback = std::function<void(std::error_code)>;

  // Opens (creating if needed) the log in `dir` and recovers every segment. `committer` must
  // outlive the log, and `fs` must outlive the committer: queued syncs keep their segment
  // (and so their use of `fs`) alive after the log is gone.
  static result<std::unique_ptr<shard_log>> open(file_system& fs, std::string dir,
                                                 const shard_log_options& options,
                                                 group_committer& committer,
                                                 corruption_reporter reporter = {});

  // Closes the log if the caller did not (see close()).
  ~shard_log();
  shard_log(const shard_log&) = delete;
  shard_log& operator=(const shard_log&) = delete;

  // Appends `records` in order with consecutive positions. The arrival time stored is
  // max(arrival_ms, the previous batch's), so arrival times never decrease. Fails with
  // errc::record_too_large before writing anything if a record cannot be framed.
  result<append_result> append(std::span<const record_input> records, std::int64_t arrival_ms,
                               durable_callback on_durable = {});

  // Reads records from `from` onwards within `limits`. Returns errc::position_trimmed if
  // `from` is older than start_position(); an empty batch (next == from) at the end of the log.
  result<read_batch> read(position from, const read_limits& limits) const;

  // The position of the first record with arrival at or after `arrival_ms`, or
  // next_position() if there is none.
  result<position> find_time(std::int64_t arrival_ms) const;

  // The oldest retained position (equal to next_position() when the log holds no record).
  position start_position() const;
  // The position the next appended record will get.
  position next_position() const;

  // Removes every whole segment whose newest record arrived before now_ms - retention_ms.
  // Returns how many segments were removed.
  result<std::size_t> apply_retention(std::int64_t now_ms, std::int64_t retention_ms);

  // Makes everything appended so far durable, whatever the fsync policy. Blocks.
  result<void> sync();

  // Syncs, writes the active segment's index file (so the next open skips the scan) and
  // refuses further appends. Idempotent.
  result<void> close();

  // Removes the log's files and its directory entries (the log must be closed).
  result<void> remove_files();

  std::size_t segment_count() const;
  // Index entries held in memory: the active segment's only, as sealed segments look up in
  // their index files.
  std::size_t resident_index_entries() const;
  const std::string& dir() const { return dir_; }

 private:
  shard_log(file_system& fs, std::string dir, const shard_log_options& options,
            group_committer& committer);
  result<void> roll(std::int64_t now_ms);
  std::vector<std::shared_ptr<segment>> segments_snapshot() const;

  file_system& fs_;
  const std::string dir_;
  const shard_log_options options_;
  group_committer& committer_;

  std::mutex append_mu_;                    // serialises append, roll, retention, close
  encoded_batch scratch_;                   // guarded by append_mu_: reused encode buffer
  std::int64_t last_arrival_ = no_arrival;  // guarded by append_mu_
  bool closed_ = false;                     // guarded by append_mu_

  mutable std::mutex segments_mu_;                  // held only to copy or change the list
  std::vector<std::shared_ptr<segment>> segments_;  // by base position; back() is active
};

}  // namespace spate::storage
