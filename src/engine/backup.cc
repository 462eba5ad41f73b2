// backup: the snapshot's files, opened at the instant of the snapshot and closed with it.
#include "engine/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spate::engine {

backup_snapshot& backup_snapshot::operator=(backup_snapshot&& other) noexcept {
  if (this != &other) {
    close_all();
    files_ = std::move(other.files_);
    other.files_.clear();
  }
  return *this;
}

backup_snapshot::~backup_snapshot() {
  close_all();
}

void backup_snapshot::close_all() {
  for (auto& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
  }
  files_.clear();
}

std::uint64_t backup_snapshot::total_bytes() const {
  std::uint64_t total = 0;
  for (const auto& f : files_) total += f.size;
  return total;
}

result<void> backup_snapshot::add(const std::string& root, const std::string& relative) {
  const std::string path = root + "/" + relative;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return last_system_error();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const auto error = S_ISREG(st.st_mode) ? last_system_error()
                                           : std::make_error_code(std::errc::invalid_argument);
    ::close(fd);
    return error;
  }
  adopt(relative, fd, static_cast<std::uint64_t>(st.st_size), st.st_mtime);
  return {};
}

void backup_snapshot::adopt(std::string relative, int fd, std::uint64_t size,
                            std::int64_t modified_s) {
  files_.push_back({std::move(relative), size, modified_s, fd});
}

}  // namespace spate::engine
