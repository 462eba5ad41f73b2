// engine_backup: engine::take_backup() (backup.h): the catalog copied, the secret and every
// shard log's files opened, all while the control plane is held.
#include "engine/engine.h"
#include "engine/stream_state.h"

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spate::engine {

result<backup_snapshot> engine::take_backup() {
  if (options_.file_system != nullptr) {
    // The logs live on a file system of the caller's (tests); only real files are copied.
    return std::make_error_code(std::errc::operation_not_supported);
  }
  static std::atomic<unsigned> taken{0};
  backup_snapshot snapshot;
  std::lock_guard control(control_.mu);  // no stream, shard, tag or consumer changes meanwhile

  // The catalog's copy, kept open and unlinked at once: nothing to clean up after a crash.
  const std::string copy = options_.data_dir + "/.backup-catalog-" + std::to_string(::getpid()) +
                           "-" + std::to_string(taken++) + ".db";
  ::unlink(copy.c_str());  // a leftover of a crash mid-copy; VACUUM INTO wants a new file
  SPATE_TRY_VOID(catalog_->copy_to(copy));
  const int fd = ::open(copy.c_str(), O_RDONLY | O_CLOEXEC);
  const auto open_error = last_system_error();
  ::unlink(copy.c_str());
  if (fd < 0) return open_error;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const auto error = last_system_error();
    ::close(fd);
    return error;
  }
  snapshot.adopt("catalog.db", fd, static_cast<std::uint64_t>(st.st_size), st.st_mtime);
  SPATE_TRY_VOID(snapshot.add(options_.data_dir, "server.key"));

  for (const auto& stream : streams_.all()) {
    std::shared_lock topology(stream->mu);
    const std::string stream_dir = stream->dir.substr(stream->dir.rfind('/') + 1);
    for (const auto& shard : stream->shards) {
      const std::string relative = "streams/" + stream_dir + "/" + shard->id;
      SPATE_TRY(auto names, fs_.list(stream->dir + "/" + shard->id));
      for (const auto& name : names) {
        if (!name.ends_with(".seg") && !name.ends_with(".idx")) continue;  // .tmp leftovers
        SPATE_TRY_VOID(snapshot.add(options_.data_dir, relative + "/" + name));
      }
    }
  }
  return snapshot;
}

}  // namespace spate::engine
