// faulty_file_system: a file_system that passes every call to a real one (POSIX on a temp dir)
// except the ones a test tells it to fail, as a full disk, a failing device or an exhausted
// descriptor table would: the Nth file creation, or the Nth directory creation, fails with a
// chosen errno (counting starts when the fault is armed; one at a time); and, for every file
// opened through it, appends or syncs fail with a chosen errno while armed, and syncs can be
// held (they wait, as a slow disk's would, until released).
//
// Thread safety: the creation counters are atomics, arm them while no other thread uses it;
// the file faults may be armed, cleared, held and released from any thread at any time.
#pragma once

#include "storage/file.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
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
    fail_appends(0);
    fail_syncs(0);
    release_syncs();
  }

  // Every append (sync) from now on fails with `error`, without touching the file; 0 stops it.
  void fail_appends(int error) { append_error_.store(error); }
  void fail_syncs(int error) { sync_error_.store(error); }

  // Syncs wait from now on until release_syncs(); syncs_waiting() counts those waiting.
  void hold_syncs() {
    std::lock_guard lock(hold_mu_);
    holding_ = true;
  }
  void release_syncs() {
    {
      std::lock_guard lock(hold_mu_);
      holding_ = false;
    }
    hold_cv_.notify_all();
  }
  int syncs_waiting() const {
    std::lock_guard lock(hold_mu_);
    return waiting_;
  }

  result<std::unique_ptr<storage::file>> open(const std::string& path,
                                              storage::open_mode mode) override {
    if (mode != storage::open_mode::open_existing && fail_create_at_ != 0 &&
        ++creates_ == fail_create_at_) {
      return std::error_code(error_, std::system_category());
    }
    auto opened = real_.open(path, mode);
    if (!opened) return opened.error();
    return std::unique_ptr<storage::file>(std::make_unique<faulty_file>(*this, std::move(*opened)));
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

 private:
  class faulty_file final : public storage::file {
   public:
    faulty_file(faulty_file_system& fs, std::unique_ptr<storage::file> real)
        : fs_(fs), real_(std::move(real)) {}
    result<void> append(std::string_view bytes) override {
      if (const int e = fs_.append_error_.load()) return std::error_code(e, std::system_category());
      return real_->append(bytes);
    }
    result<std::size_t> read_at(std::uint64_t offset, char* dst, std::size_t n) const override {
      return real_->read_at(offset, dst, n);
    }
    result<void> sync() override {
      fs_.wait_while_held();
      if (const int e = fs_.sync_error_.load()) return std::error_code(e, std::system_category());
      return real_->sync();
    }
    result<void> truncate(std::uint64_t size) override { return real_->truncate(size); }
    std::uint64_t size() const override { return real_->size(); }

   private:
    faulty_file_system& fs_;
    std::unique_ptr<storage::file> real_;
  };

  void wait_while_held() {
    std::unique_lock lock(hold_mu_);
    ++waiting_;
    hold_cv_.wait(lock, [&] { return !holding_; });
    --waiting_;
  }

  storage::file_system& real_;
  std::atomic<int> append_error_{0}, sync_error_{0};
  mutable std::mutex hold_mu_;
  std::condition_variable hold_cv_;
  bool holding_ = false;
  int waiting_ = 0;
  std::atomic<int> creates_{0}, dirs_{0};
  int fail_create_at_ = 0, fail_dirs_at_ = 0;
  int error_ = ENOSPC;
};

}  // namespace spate::testutil
