// faulty_file_system: a file_system that passes every call to a real one (POSIX on a temp dir)
// except the ones a test tells it to fail, as a full disk or an exhausted descriptor table
// would: the Nth file creation, or the Nth directory creation, fails with a chosen errno.
// Counting starts when the fault is armed; one fault at a time.
//
// Thread safety: the counters are atomics; arm faults while no other thread uses it.
#pragma once

#include "storage/file.h"

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace spate::testutil {

class faulty_file_system final : public storage::file_system {
 public:
  explicit faulty_file_system(storage::file_system& real) : real_(real) {}

  // The `n`th (1-based) open that may create a file, from now on, fails with `error`.
  void fail_create(int n, int error = ENOSPC) {
    creates_ = 0;
    fail_create_at_ = n;
    error_ = error;
  }
  // The `n`th create_dirs from now on fails with `error`.
  void fail_create_dirs(int n, int error = ENOSPC) {
    dirs_ = 0;
    fail_dirs_at_ = n;
    error_ = error;
  }
  void clear() {
    fail_create_at_ = 0;
    fail_dirs_at_ = 0;
  }

  result<std::unique_ptr<storage::file>> open(const std::string& path,
                                              storage::open_mode mode) override {
    if (mode != storage::open_mode::open_existing && fail_create_at_ != 0 &&
        ++creates_ == fail_create_at_) {
      return std::error_code(error_, std::system_category());
    }
    return real_.open(path, mode);
  }
  result<void> create_dirs(const std::string& dir) override {
    if (fail_dirs_at_ != 0 && ++dirs_ == fail_dirs_at_) {
      return std::error_code(error_, std::system_category());
    }
    return real_.create_dirs(dir);
  }
  result<std::vector<std::string>> list(const std::string& dir) override { return real_.list(dir); }
  result<void> remove(const std::string& path) override { return real_.remove(path); }
  result<void> rename(const std::string& from, const std::string& to) override {
    return real_.rename(from, to);
  }
  result<void> remove_tree(const std::string& dir) override { return real_.remove_tree(dir); }
  result<void> sync_dir(const std::string& dir) override { return real_.sync_dir(dir); }
  bool exists(const std::string& path) override { return real_.exists(path); }
  result<std::unique_ptr<storage::volume_sync>> open_volume_sync(const std::string& dir) override {
    return real_.open_volume_sync(dir);
  }

 private:
  storage::file_system& real_;
  std::atomic<int> creates_{0}, dirs_{0};
  int fail_create_at_ = 0, fail_dirs_at_ = 0;
  int error_ = ENOSPC;
};

}  // namespace spate::testutil
