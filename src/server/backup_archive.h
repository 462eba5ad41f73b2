// backup_archive: GET /v1/backup's answer: an engine backup_snapshot (engine/backup.h)
// written out as a POSIX tar archive (ustar), as the connection takes it.
//
// Archive layout (application/x-tar; any tar reads it, `spate backup` unpacks it):
//   spate-backup.json   first: {"format":1,"version":"<spated version>","created_ms":...,
//                       "files":N,"bytes":TOTAL} - what follows, for progress and checks
//   catalog.db          the catalog at the snapshot (SQLite)
//   server.key          the secret that seals shard iterators and NextTokens (mode 0600)
//   streams/<name>-<created_ms>/<shardId-NNNNNNNNNNNN>/<base>.seg and .idx
//   two 512-byte zero blocks: the end; an archive without them was cut short.
// Each entry is a 512-byte ustar header (regular file, mode 0600 or 0644, owner 0, the file's
// modification time; a path over 100 bytes is split at a '/' into the prefix field) and the
// file's bytes, padded with zeros to a multiple of 512. Sizes up to 8 GiB are octal; larger
// ones use the base-256 form GNU tar and libarchive read.
// The directory the archive unpacks into is a data directory: `spated --data-dir DIR` opens
// it (docs/operations.md).
//
// Reads the files with pread on the connection's thread, 64 KiB per pull; the push session
// pulls only when the previous chunk has been written, so a slow reader holds one chunk.
#pragma once

#include "api/push_source.h"
#include "engine/backup.h"

#include <cstdint>
#include <memory>
#include <string>

namespace spate::server {

class backup_archive final : public api::push_source {
 public:
  // `slot`: released with the archive (the router's count of backups running).
  backup_archive(engine::backup_snapshot snapshot, std::string version, std::int64_t created_ms,
                 std::shared_ptr<void> slot = nullptr);

  void set_waker(std::function<void()>) override {}  // always ready: files are read on demand
  status pull(api::pushed_message& out) override;
  clock::time_point deadline() const override { return clock::time_point::max(); }
  std::string_view content_type() const override { return "application/x-tar"; }

  // A ustar header for `path` (exposed for tests).
  static std::string header(const std::string& path, std::uint64_t size, unsigned mode,
                            std::int64_t modified_s);

 private:
  static constexpr std::size_t piece_bytes = 64u << 10;

  engine::backup_snapshot snapshot_;
  std::shared_ptr<void> slot_;
  std::string manifest_;
  std::int64_t created_ms_;
  std::size_t next_file_ = 0;  // index into the snapshot's files; files().size(): the end
  bool manifest_sent_ = false;
  bool in_file_ = false;      // the current file's header is out, its bytes are going
  std::uint64_t offset_ = 0;  // bytes of the current file sent
  bool finished_ = false;
};

}  // namespace spate::server
