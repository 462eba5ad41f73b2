// segment: one file of a shard's log, holding consecutive records from its base position.
//
// Lifecycle: `create` (a new, empty active segment) or `open` (an existing one, recovered by
// scanning from its last trusted point, recovery.h) -> appends while it is the active segment
// -> sealed when the log rolls to a new segment (synced, then its index file is written and
// lookups move to that file, so a sealed segment holds no index in memory) -> removed by
// retention. A segment is shared (std::shared_ptr) between the log, readers and
// queued syncs, so removal while a read is in flight is safe: the file stays open until the
// last reference goes.
//
// Durability levels: `size()` counts bytes handed to the kernel (visible to readers and safe
// from a process crash); `synced_size()` counts bytes an fdatasync has covered (safe from
// power loss).
//
// Thread safety: one appender at a time (the owning shard_log serialises appends); reads and
// lookups may run concurrently with it. Shared state is guarded by mu_, which is never held
// across I/O, so readers never wait for a write or a sync.
#pragma once

#include "common/result.h"
#include "storage/file.h"
#include "storage/group_committer.h"
#include "storage/record.h"
#include "storage/recovery.h"
#include "storage/segment_index.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace spate::storage {

struct segment_options {
  // Bytes of log between two sparse index entries. Default: 4 KiB.
  std::uint64_t index_interval = 4096;
  // When recovery finds corruption before the tail: true fails the open (default); false cuts
  // the segment at the corruption after reporting it, losing what follows.
  bool strict_recovery = true;
};

// Frames ready to append: consecutive records from `first`, all with the same arrival time.
struct encoded_batch {
  std::string frames;
  position first = 0;
  std::vector<std::uint32_t> frame_offsets;  // where each record's frame starts in `frames`
  std::int64_t arrival_ms = 0;

  std::size_t count() const { return frame_offsets.size(); }
  void clear() {
    frames.clear();
    frame_offsets.clear();
  }
};

class segment final : public syncable {
 public:
  // Creates `<dir>/<base>.seg` with its header; the file must not exist.
  static result<std::shared_ptr<segment>> create(file_system& fs, const std::string& dir,
                                                 position base, std::int64_t now_ms,
                                                 const segment_options& options);

  // Opens and recovers `<dir>/<base>.seg`. A header torn by a crash during creation (short or
  // zeroed) means nothing in the file was ever acknowledged; the segment is then started
  // afresh, empty. Corruption before the tail goes to `reporter`. In a sealed segment (synced
  // whole when it was sealed) it fails the open under strict_recovery. In the active segment
  // (`is_active`) it is cut there after reporting, whatever the policy: after a power loss the
  // unsynced end of the active segment may have holes with intact frames after them, which
  // no acknowledgement ever covered and which look exactly like corruption.
  static result<std::shared_ptr<segment>> open(file_system& fs, const std::string& dir,
                                               position base, bool is_active,
                                               const segment_options& options,
                                               const corruption_reporter& reporter);

  ~segment() override = default;

  position base() const { return base_; }
  const std::string& path() const { return path_; }
  position next_position() const;
  std::uint64_t size() const;
  std::uint64_t synced_size() const { return synced_size_.load(std::memory_order_acquire); }
  std::int64_t max_arrival() const;  // no_arrival if the segment holds no record
  bool empty() const { return next_position() == base_; }
  // After recovery cut this segment at corruption: one past the highest position seen in
  // the bytes cut away (0 otherwise). The log must not hand those positions out again.
  position positions_seen_end() const { return positions_seen_end_; }

  // Writes `batch` (whose first position must be next_position()) to the file and publishes
  // it to readers. On failure the file is cut back to its previous size; if even that fails,
  // the segment refuses all further appends.
  result<void> append(const encoded_batch& batch);

  // Appends records from `from` (at or after base) into `out` until the limits or the end of
  // the segment; sets out.next past the last record read.
  result<void> read(position from, const read_limits& limits, read_batch& out) const;

  // The position of the first record with arrival at or after `arrival_ms`, if the segment
  // has one.
  result<std::optional<position>> find_time(std::int64_t arrival_ms) const;

  // fdatasync; the first successful call also syncs the directory entry of a new file. After
  // a failed sync the segment refuses appends: the kernel may have dropped the dirty pages.
  result<void> sync() override;
  // Through a volume sync (group_committer.h): the file's volume, its size now, and recording
  // that a volume sync made `mark` bytes durable (and the directory entry, as sync() does).
  std::optional<std::uint64_t> volume() const override { return file_->volume(); }
  std::uint64_t sync_mark() const override { return file_->size(); }
  result<void> covered_by_volume_sync(std::uint64_t mark) override;

  // Writes `<base>.idx` describing the segment as it is now (call after a sync).
  result<void> write_index_file();
  // Ends appends for good (call after a sync): writes the index file if it has none, then
  // answers lookups from that file and frees the index held in memory. If the file cannot be
  // written, lookups stay in memory and the error is returned; appends are refused either way.
  result<void> seal();
  // Index entries held in memory: none once sealed.
  std::size_t resident_index_entries() const;
  // Whether write_index_file has run since the last append.
  bool has_index_file() const { return index_written_.load(std::memory_order_acquire); }
  // Removes the index file, if any (an active segment must not keep a stale one).
  void remove_index_file();
  // Removes the segment's files (retention, deletion).
  result<void> remove_files();

 private:
  segment(file_system& fs, std::string dir, position base, std::unique_ptr<file> f,
          const segment_options& options);

  // The index entry to start a scan from, looked up in memory or, once sealed, in the index
  // file. An entry that does not fit the segment, or a file that cannot be read, gives
  // nullopt: scan from the start, slower but right.
  std::optional<index_entry> floor_position(position pos) const;
  std::optional<index_entry> floor_time(std::int64_t arrival_ms) const;
  template <typename Lookup>
  std::optional<index_entry> look_up_in_index_file(Lookup lookup) const;

  result<void> write_index_file_locked();  // index_file_mu_ held
  // After a sync covered `covered` bytes: syncs a new file's directory entry, then records it.
  result<void> record_synced(std::uint64_t covered);

  file_system& fs_;
  const std::string dir_;
  const std::string path_;
  const position base_;
  const std::unique_ptr<file> file_;
  const segment_options options_;

  mutable std::mutex mu_;
  std::uint64_t size_ = 0;                 // guarded by mu_: bytes readers may read
  position next_ = 0;                      // guarded by mu_
  std::int64_t max_arrival_ = no_arrival;  // guarded by mu_
  segment_index index_;                    // guarded by mu_; empty once index_on_disk_
  bool index_on_disk_ = false;             // guarded by mu_: lookups read the index file
  std::uint32_t index_file_entries_ = 0;   // guarded by mu_: entries in the index file
  // Where the last read that stopped inside this segment would go on, so that the next
  // sequential read (a consumer catching up) starts there with no lookup and no scan.
  mutable std::optional<index_entry> resume_at_;  // guarded by mu_

  position positions_seen_end_ = 0;  // set once by open
  std::atomic<std::uint64_t> synced_size_{0};
  std::atomic<bool> dir_synced_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> index_written_{false};
  std::atomic<bool> sealed_{false};

  // Serialises index file writes (a seal on the committer thread against close) with removal.
  std::mutex index_file_mu_;
  bool removed_ = false;  // guarded by index_file_mu_
};

}  // namespace spate::storage
