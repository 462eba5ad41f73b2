// POSIX implementation of file.h: pwrite/pread on a file descriptor, fdatasync, directory
// fsync for entry durability, and syncfs on a directory's descriptor for a whole file system.
// Descriptors are closed by their owners' destructors (RAII).
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
  result<std::unique_ptr<volume_sync>> open_volume_sync(const std::string& dir) override;
};

}  // namespace spate::storage
