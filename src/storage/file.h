// The file I/O interface under the storage engine: everything storage does to a disk goes
// through `file` and `file_system`, so tests run on memory (mem_file.h) and crash tests can
// drop every byte that was not synced. posix_file.h is the real implementation.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spate::storage {

// A file opened for positional reads and appends.
//
// Thread safety: `read_at` and `size` may run concurrently with one `append`/`sync`/`truncate`
// caller; appends must not run concurrently with each other.
class file {
 public:
  virtual ~file() = default;

  // Writes all of `bytes` at the current end of the file and hands them to the kernel (or
  // the memory image) before returning; durable only after `sync`.
  virtual result<void> append(std::string_view bytes) = 0;

  // Reads up to dst_size bytes at `offset`; returns how many were read (fewer at end of file).
  virtual result<std::size_t> read_at(std::uint64_t offset, char* dst,
                                      std::size_t dst_size) const = 0;

  // Makes every byte appended so far durable (fdatasync).
  virtual result<void> sync() = 0;

  // Cuts the file to `size` bytes.
  virtual result<void> truncate(std::uint64_t size) = 0;

  // The file's length, including appended but unsynced bytes.
  virtual std::uint64_t size() const = 0;

  // The file system the file lives on (st_dev): a volume_sync of the same volume covers it.
  virtual std::uint64_t volume() const = 0;
};

// Syncs a whole file system at once: when sync() succeeds, every byte written to any file on
// it before the call is durable, with its metadata, after a cache flush or two rather than one
// per file. A failure may concern any file on the file system (write-back errors since the
// handle was opened are reported, once, without saying which file): the caller then syncs its
// files one by one, and each of those reports its own.
class volume_sync {
 public:
  virtual ~volume_sync() = default;
  virtual result<void> sync() = 0;
  // The file system it syncs (st_dev), to compare with file::volume().
  virtual std::uint64_t volume() const = 0;
};

enum class open_mode {
  open_existing,   // fail with ENOENT if missing
  create_new,      // fail with EEXIST if present
  create_or_open,  // either
};

// Paths are plain strings joined with '/'.
class file_system {
 public:
  virtual ~file_system() = default;

  virtual result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) = 0;
  // Names (not paths) of the entries in `dir`, in no particular order.
  virtual result<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual result<void> remove(const std::string& path) = 0;
  virtual result<void> rename(const std::string& from, const std::string& to) = 0;
  // Creates `dir` and any missing parents; succeeds if it exists.
  virtual result<void> create_dirs(const std::string& dir) = 0;
  // Removes `dir` and everything under it; succeeds if it does not exist.
  virtual result<void> remove_tree(const std::string& dir) = 0;
  // Makes the entries of `dir` (creations, removals, renames) durable.
  virtual result<void> sync_dir(const std::string& dir) = 0;
  virtual bool exists(const std::string& path) = 0;
  // A volume_sync of the file system that holds `dir`.
  virtual result<std::unique_ptr<volume_sync>> open_volume_sync(const std::string& dir) = 0;

  // Writes `contents` to `path` through a temporary file and a rename, so readers see the old
  // or the new contents, never a mix. Not synced: callers that need it sync the directory.
  result<void> write_file_atomically(const std::string& path, std::string_view contents);
  // Reads a whole file.
  result<std::string> read_file(const std::string& path);
};

inline std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

}  // namespace spate::storage
