// backup: a consistent copy of a running engine's data directory, taken in an instant and
// read out at leisure (GET /v1/backup streams it as a tar archive; docs/operations.md).
//
// What "consistent" means here: the snapshot is taken while the control plane is held (no
// stream is created, deleted or resharded, no tag or consumer changes), and holds
//   - catalog.db: a copy of the catalog made then (SQLite's VACUUM INTO), so streams, shard
//     lineage, tags, consumers and settings are exactly those of that instant;
//   - server.key, so shard iterators and NextTokens handed out before stay valid;
//   - every file of every shard log (segments and their index files), opened then: each file
//     is copied up to the length it had at that instant. Logs only grow at the end, so each
//     shard's copy is a prefix of its log that holds every record acknowledged before the
//     snapshot. A record being appended at that instant may be cut mid-frame: that is a torn
//     tail, which the recovery of `spated --data-dir COPY` removes, as after a crash.
// The files stay open, so retention or a deletion after the instant cannot take them away
// while they are read.
//
// Lifecycle: engine::take_backup() -> read the files -> destroy (closes them).
// Thread safety: one reader at a time.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace spate::engine {

struct backup_file {
  std::string path;        // relative to the data directory, '/'-separated
  std::uint64_t size = 0;  // bytes to copy: the length at the snapshot
  std::int64_t modified_s = 0;
  int fd = -1;  // open for reading; owned by the snapshot
};

class backup_snapshot {
 public:
  backup_snapshot() = default;
  backup_snapshot(backup_snapshot&& other) noexcept : files_(std::move(other.files_)) {
    other.files_.clear();
  }
  backup_snapshot& operator=(backup_snapshot&& other) noexcept;
  backup_snapshot(const backup_snapshot&) = delete;
  backup_snapshot& operator=(const backup_snapshot&) = delete;
  ~backup_snapshot();

  const std::vector<backup_file>& files() const { return files_; }
  std::uint64_t total_bytes() const;

  // Adds `relative` (under `root`) at its current length; the fd is kept open.
  result<void> add(const std::string& root, const std::string& relative);
  // Adds a file already open (and unlinked): the catalog's copy.
  void adopt(std::string relative, int fd, std::uint64_t size, std::int64_t modified_s);

 private:
  void close_all();
  std::vector<backup_file> files_;
};

}  // namespace spate::engine
