// private_file: mkstemp, write, fsync, rename, fsync the directory.
#include "common/private_file.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spate {
namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

result<void> write_private_file(const std::string& path, std::string_view contents, mode_t mode) {
  std::string temp = path + ".XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // O_EXCL, mode 0600
  if (fd < 0) return last_system_error();
  const bool written = ::fchmod(fd, mode) == 0 && write_all(fd, contents) && ::fsync(fd) == 0;
  const auto write_error = last_system_error();
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return write_error;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const auto ec = last_system_error();
    ::unlink(temp.c_str());
    return ec;
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return last_system_error();
  const int rc = ::fsync(dir);
  const auto sync_error = last_system_error();
  ::close(dir);
  if (rc != 0) return sync_error;
  return {};
}

}  // namespace spate
