// In-memory implementation of file.h with fault injection, for storage tests.
//
// It models what a crash does to a real file system: `simulate_crash()` cuts every file back
// to the bytes its last `sync` covered and restores every directory to its last `sync_dir`
// (files created since vanish, files removed since come back); `crash_image()` gives the same
// picture as a copy while the original keeps running. It can also fail writes part
// way (a torn write: a prefix lands, then ENOSPC), fail syncs with EIO, and hold syncs until
// released (a slow disk), for tests of what readers see while a sync is in flight. All its
// files are on one volume: a volume sync makes every file's bytes durable (directory entries
// still need sync_dir), and can be failed on its own.
//
// Thread safety: all methods may be called concurrently; `simulate_crash` requires that no
// other call is in progress.
#pragma once

#include "storage/file.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

namespace spate::storage {

class mem_file_system final : public file_system {
 public:
  result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override;
  result<std::vector<std::string>> list(const std::string& dir) override;
  result<void> remove(const std::string& path) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> create_dirs(const std::string& dir) override;
  result<void> remove_tree(const std::string& dir) override;
  result<void> sync_dir(const std::string& dir) override;
  bool exists(const std::string& path) override;
  result<std::unique_ptr<volume_sync>> open_volume_sync(const std::string& dir) override;

  // Drops everything a power failure would: unsynced bytes and unsynced directory entries.
  void simulate_crash();

  // A new file system holding what a crash at this instant would leave: after a power
  // failure (`power_loss`), only synced bytes and synced directory entries; after a process
  // crash (kill -9), everything handed to the kernel. Safe to call while other threads keep
  // using this one, which is left unchanged.
  std::unique_ptr<mem_file_system> crash_image(bool power_loss) const;

  // After `bytes` more bytes have been appended (across all files), the append that crosses
  // the budget writes only up to it and fails with ENOSPC, as do all later appends.
  void fail_appends_after(std::uint64_t bytes);
  // Every later sync fails with EIO while `fail` is true.
  void fail_syncs(bool fail);
  // Every later volume sync (and no file sync) fails with EIO while `fail` is true.
  void fail_volume_syncs(bool fail);
  // Volume syncs that succeeded so far.
  int volume_syncs() const;
  // File syncs wait from now on until release_syncs(); syncs_waiting() counts those waiting.
  void hold_syncs();
  void release_syncs();
  int syncs_waiting() const;
  // Clears every fault, releasing held syncs.
  void clear_faults();

  // Test access to raw bytes, for corrupting files in place.
  std::string contents(const std::string& path);
  void set_contents(const std::string& path, std::string bytes);

  struct node;  // one file's bytes and synced length; public for the file handle's use

 private:
  friend class mem_file;
  friend class mem_volume_sync;
  result<void> sync_volume();
  // Returns the number of bytes of a `want`-byte append that the fault budget admits.
  std::uint64_t admit_append(std::uint64_t want);
  bool syncs_fail() const;
  void wait_while_held();

  mutable std::mutex mu_;
  std::set<std::string> dirs_;
  std::map<std::string, std::shared_ptr<node>> live_;     // path -> file, as the process sees it
  std::map<std::string, std::shared_ptr<node>> durable_;  // path -> file, as a crash would leave
  std::optional<std::uint64_t> append_budget_;
  bool fail_syncs_ = false;
  bool fail_volume_syncs_ = false;
  int volume_syncs_ = 0;
  std::condition_variable held_cv_;  // with mu_
  bool holding_ = false;
  int waiting_ = 0;
};

}  // namespace spate::storage
