// directory_lock: one process per data directory. Two servers writing the same shard logs
// would corrupt them, so a server takes an exclusive flock on `<dir>/LOCK` before it touches
// anything else in the directory, and holds it (with its PID written in the file, for the
// message a second server prints) until it exits. The kernel drops the lock when the holder
// dies, kill -9 included, so a stale LOCK file never keeps a restarted server out.
//
// Lifecycle: acquire() -> hold the object -> destroy (or exit). Thread safety: not shared.
#pragma once

#include "common/result.h"

#include <string>
#include <variant>

namespace spate {

class directory_lock {
 public:
  // Creates `dir` if it is missing, then locks it. On failure: a message naming the directory
  // and, when another process holds the lock, its PID.
  static std::variant<directory_lock, std::string> acquire(const std::string& dir);

  directory_lock(directory_lock&& other) noexcept;
  directory_lock& operator=(directory_lock&& other) noexcept;
  directory_lock(const directory_lock&) = delete;
  directory_lock& operator=(const directory_lock&) = delete;
  ~directory_lock();

 private:
  explicit directory_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace spate
