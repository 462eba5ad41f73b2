// POSIX implementation of file.h: pwrite/pread on a file descriptor, fdatasync, and directory
// fsync for entry durability. The descriptor is closed by the destructor (RAII).
#pragma once

#include "storage/file.h"

namespace spate::storage {

class posix_file_system final : public file_system {
 public:
  result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override;
  result<std::vector<std::string>> list(const std::string& dir) override;
  result<void> remove(const std::string& path) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> create_dirs(const std::string& dir) override;
  result<void> remove_tree(const std::string& dir) override;
  result<void> sync_dir(const std::string& dir) override;
  bool exists(const std::string& path) override;
};

}  // namespace spate::storage
