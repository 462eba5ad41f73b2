// POSIX files: every append is one or more pwrite calls at the tracked end of file.
#include "storage/posix_file.h"

#include "common/incident.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <utility>

namespace spate::storage {
namespace {

// What an operator must hear of a failed file operation (incident.h): descriptors running
// out, a full disk, I/O errors. Returns `ec` for chaining.
std::error_code note_failure(std::error_code ec, std::string_view doing, const std::string& path) {
  if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
    incident::report(incident::kind::descriptors_exhausted, ::fmt::format("{} {}", doing, path),
                     ec);
  } else if (ec != std::errc::no_such_file_or_directory && ec != std::errc::file_exists) {
    incident::report(incident::of_write_error(ec), ::fmt::format("{} {}", doing, path), ec);
  }
  return ec;
}

class posix_file final : public file {
 public:
  posix_file(int fd, std::uint64_t size, std::uint64_t volume, std::string path)
      : fd_(fd), size_(size), volume_(volume), path_(std::move(path)) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  result<void> append(std::string_view bytes) override {
    std::uint64_t offset = size_.load(std::memory_order_relaxed);
    while (!bytes.empty()) {
      ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return note_failure(last_system_error(), "writing", path_);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
    size_.store(offset, std::memory_order_release);
    return {};
  }

  result<std::size_t> read_at(std::uint64_t offset, char* dst,
                              std::size_t dst_size) const override {
    std::size_t done = 0;
    while (done < dst_size) {
      ssize_t n = ::pread(fd_, dst + done, dst_size - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return note_failure(last_system_error(), "reading", path_);
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  result<void> sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) {
        const auto ec = last_system_error();
        incident::report(incident::kind::sync_failed, "syncing " + path_, ec);
        return ec;
      }
    }
    return {};
  }

  result<void> truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return note_failure(last_system_error(), "truncating", path_);
    }
    size_.store(size, std::memory_order_release);
    return {};
  }

  std::uint64_t size() const override { return size_.load(std::memory_order_acquire); }
  std::uint64_t volume() const override { return volume_; }

 private:
  const int fd_;
  std::atomic<std::uint64_t> size_;
  const std::uint64_t volume_;
  const std::string path_;  // for the operator's messages
};

// syncfs on a descriptor of a directory, held open so that a write-back error anywhere on the
// file system since then is reported (Linux 5.8 and later report them through syncfs). Then an
// fsync of that directory, for its cache flush: ext4 without a journal flushes the disk's
// cache inside syncfs before it writes the inodes, so the new file sizes could otherwise still
// sit in the cache. With nothing of the directory's own to write, that fsync is the flush.
class posix_volume_sync final : public volume_sync {
 public:
  posix_volume_sync(int fd, std::uint64_t volume) : fd_(fd), volume_(volume) {}
  ~posix_volume_sync() override { ::close(fd_); }
  posix_volume_sync(const posix_volume_sync&) = delete;
  posix_volume_sync& operator=(const posix_volume_sync&) = delete;

  result<void> sync() override {
    while (::syncfs(fd_) != 0) {
      if (errno != EINTR) return last_system_error();
    }
    while (::fsync(fd_) != 0) {
      if (errno != EINTR) return last_system_error();
    }
    return {};
  }
  std::uint64_t volume() const override { return volume_; }

 private:
  const int fd_;
  const std::uint64_t volume_;
};

}  // namespace

result<std::unique_ptr<file>> posix_file_system::open(const std::string& path, open_mode mode) {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == open_mode::create_new) flags |= O_CREAT | O_EXCL;
  if (mode == open_mode::create_or_open) flags |= O_CREAT;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return note_failure(last_system_error(), "opening", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto ec = last_system_error();
    ::close(fd);
    return ec;
  }
  return std::unique_ptr<file>(new posix_file(fd, static_cast<std::uint64_t>(st.st_size),
                                              static_cast<std::uint64_t>(st.st_dev), path));
}

result<std::vector<std::string>> posix_file_system::list(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return last_system_error();
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

result<void> posix_file_system::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return last_system_error();
  return {};
}

result<void> posix_file_system::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return last_system_error();
  return {};
}

result<void> posix_file_system::create_dirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return note_failure(ec, "creating directory", dir);
  return {};
}

result<void> posix_file_system::remove_tree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return note_failure(ec, "removing", dir);
  return {};
}

result<void> posix_file_system::sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_system_error();
  int rc = ::fsync(fd);
  auto ec = rc != 0 ? last_system_error() : std::error_code{};
  ::close(fd);
  if (ec) {
    incident::report(incident::kind::sync_failed, "syncing directory " + dir, ec);
    return ec;
  }
  return {};
}

result<std::unique_ptr<volume_sync>> posix_file_system::open_volume_sync(const std::string& dir) {
  // Before Linux 5.8, syncfs did not report write-back errors: a failed write of a log file
  // would go unnoticed. Callers then sync each file on its own.
  utsname host{};
  int major = 0, minor = 0;
  if (::uname(&host) != 0 || std::sscanf(host.release, "%d.%d", &major, &minor) != 2 ||
      std::pair(major, minor) < std::pair(5, 8)) {
    return std::make_error_code(std::errc::not_supported);
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_system_error();
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto ec = last_system_error();
    ::close(fd);
    return ec;
  }
  return std::unique_ptr<volume_sync>(
      new posix_volume_sync(fd, static_cast<std::uint64_t>(st.st_dev)));
}

bool posix_file_system::exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace spate::storage
