// directory_lock: flock(LOCK_EX | LOCK_NB) on <dir>/LOCK, the holder's PID inside.
#include "common/directory_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string_view>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace spate {

std::variant<directory_lock, std::string> directory_lock::acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create data directory " + dir + ": " + ec.message();
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) return "cannot lock " + path + ": " + std::strerror(error);
    std::string_view pid(holder, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.remove_suffix(1);
    return "data directory " + dir + " is in use by another spated (PID " +
           (pid.empty() ? std::string("unknown") : std::string(pid)) + ")";
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    const std::string message = "cannot write " + path + ": " + std::strerror(errno);
    ::close(fd);
    return message;
  }
  return directory_lock(fd);
}

directory_lock::directory_lock(directory_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

directory_lock& directory_lock::operator=(directory_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

directory_lock::~directory_lock() {
  if (fd_ >= 0) ::close(fd_);  // the lock goes with the descriptor
}

}  // namespace spate
