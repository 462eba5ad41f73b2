// spate backup DIR: downloads GET /v1/backup (a tar archive of a consistent snapshot of the
// server's data directory; src/server/backup_archive.h describes it) and unpacks it into DIR,
// which then is a data directory: `spated --data-dir DIR` serves it as the server was.
//
// The archive is unpacked as it arrives, into DIR.partial, which is renamed to DIR once the
// archive's end marker has arrived and every file is synced: a DIR that exists is a whole
// backup. Entries are checked before anything is written: a header's checksum, a path that
// stays inside DIR (relative, no "..", no empty part), regular files only.
#include "command.h"
#include "progress.h"

#include <spate/client/backup.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace spate::cli {
namespace {

constexpr std::size_t block = 512;

std::uint64_t octal(const char* field, std::size_t width) {
  if (static_cast<unsigned char>(field[0]) & 0x80) {  // base-256
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < width; ++i)
      value = (value << 8) | static_cast<unsigned char>(field[i]);
    return value;
  }
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7')
      fail("the backup archive is damaged (a malformed number)");
    value = value * 8 + static_cast<std::uint64_t>(field[i] - '0');
  }
  return value;
}

std::string text(const char* field, std::size_t width) {
  return std::string(field, strnlen(field, width));
}

// A path inside the target: relative, no "." or ".." parts, no empty parts.
bool safe_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// Unpacks a tar stream fed piece by piece.
class unpacker {
 public:
  explicit unpacker(std::filesystem::path root) : root_(std::move(root)) {}
  ~unpacker() {
    if (fd_ >= 0) ::close(fd_);
  }

  void feed(std::string_view bytes) {
    received_ += bytes.size();
    while (!bytes.empty() && !finished_) {
      if (remaining_ > 0) {  // the current file's bytes
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
        write_all(bytes.substr(0, n));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) close_file();
        continue;
      }
      if (skip_ > 0) {  // padding to the next block
        const std::size_t n = std::min(skip_, bytes.size());
        bytes.remove_prefix(n);
        skip_ -= n;
        continue;
      }
      const std::size_t n = std::min(block - header_.size(), bytes.size());
      header_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (header_.size() == block) {
        on_header();
        header_.clear();
      }
    }
  }

  bool finished() const { return finished_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t files() const { return files_; }
  std::uint64_t expected_bytes() const { return expected_bytes_; }

 private:
  void on_header() {
    if (header_.find_first_not_of('\0') == std::string::npos) {
      if (++zero_blocks_ == 2) finished_ = true;
      return;
    }
    if (zero_blocks_ > 0) fail("the backup archive has data after an end marker");
    const char* h = header_.data();
    unsigned sum = 0;
    for (std::size_t i = 0; i < block; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    if (sum != octal(h + 148, 8)) fail("the backup archive is damaged (a header checksum)");
    const std::string prefix = text(h + 345, 155);
    const std::string path = prefix.empty() ? text(h, 100) : prefix + "/" + text(h, 100);
    const char type = h[156];
    if (type != '0' && type != '\0') fail("the backup archive holds something not a file: " + path);
    if (!safe_path(path)) fail("the backup archive names a path outside its folder: " + path);
    const std::uint64_t size = octal(h + 124, 12);
    const unsigned mode = static_cast<unsigned>(octal(h + 100, 8)) & 0600;
    remaining_ = size;
    skip_ = static_cast<std::size_t>((block - size % block) % block);
    const auto target = root_ / path;
    std::filesystem::create_directories(target.parent_path());
    fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode | 0400);
    if (fd_ < 0) fail("cannot create " + target.string() + ": " + std::strerror(errno));
    ++files_;
    if (path == "spate-backup.json") manifest_ = true;
    if (size == 0) close_file();
  }

  void write_all(std::string_view bytes) {
    if (manifest_) manifest_text_.append(bytes);
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(std::string("cannot write the backup: ") + std::strerror(errno));
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void close_file() {
    if (fd_ < 0) return;
    const bool synced = ::fdatasync(fd_) == 0;
    ::close(fd_);
    fd_ = -1;
    if (!synced) fail(std::string("cannot sync the backup: ") + std::strerror(errno));
    if (manifest_) {
      manifest_ = false;
      // {"format":1,...,"bytes":N}: the total, for the progress line.
      const auto at = manifest_text_.find("\"bytes\":");
      if (at != std::string::npos)
        expected_bytes_ = std::strtoull(manifest_text_.c_str() + at + 8, nullptr, 10);
    }
  }

  std::filesystem::path root_;
  std::string header_;
  std::uint64_t remaining_ = 0;
  std::size_t skip_ = 0;
  int fd_ = -1;
  int zero_blocks_ = 0;
  bool finished_ = false;
  bool manifest_ = false;
  std::string manifest_text_;
  std::uint64_t expected_bytes_ = 0, received_ = 0, files_ = 0;
};

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Every directory of the unpacked backup (the files were synced as they were closed).
void sync_tree(const std::filesystem::path& root) {
  sync_directory(root);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_directory()) sync_directory(entry.path());
  }
}

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

void add_backup_command(CLI::App& app, const global_options& global) {
  auto dir = std::make_shared<std::string>();
  auto* backup = app.add_subcommand(
      "backup",
      "Copy every stream of a running spated (records, sequence numbers, shard lineage, tags, "
      "consumers) into DIR, a data directory that spated --data-dir DIR serves as it was");
  backup->add_option("dir", *dir, "A new folder for the backup (it must not exist yet)")
      ->required();
  backup->callback([&global, dir] {
    namespace fs = std::filesystem;
    const fs::path target(*dir);
    if (fs::exists(target)) fail(*dir + " exists: a backup goes into a new folder");
    const fs::path partial = target.string() + ".partial";
    std::error_code ignored;
    fs::remove_all(partial, ignored);  // a previous attempt's
    fs::create_directories(partial);
    const auto started = std::chrono::steady_clock::now();
    std::optional<unpacker> archive;
    archive.emplace(partial);
    progress shown;
    client::client_options options;
    options.endpoint = global.endpoint;
    options.region = global.region;
    options.retry.max_attempts = 1 + global.retries;
    std::string refused;  // why the archive was refused, if it was
    auto done = client::download_backup(options, [&](std::string_view bytes) {
      try {
        archive->feed(bytes);
      } catch (const command_failure& e) {
        refused = e.message;
        return false;
      } catch (const std::exception& e) {
        refused = e.what();
        return false;
      }
      shown.update("backup: " + mib(archive->received()) +
                   (archive->expected_bytes() ? " of about " + mib(archive->expected_bytes())
                                              : std::string()) +
                   ", " + std::to_string(archive->files()) + " files");
      return !archive->finished();
    });
    if (!refused.empty() || !done) {
      archive.reset();
      fs::remove_all(partial, ignored);
      if (!refused.empty()) fail(refused);
      fail(done.err());
    }
    if (!archive->finished()) {
      archive.reset();
      fs::remove_all(partial, ignored);
      fail("the backup was cut short (the archive has no end marker); nothing was kept");
    }
    const auto files = archive->files();
    const auto bytes = archive->received();
    archive.reset();
    sync_tree(partial);
    fs::rename(partial, target);
    sync_directory(target.parent_path().empty() ? fs::path(".") : target.parent_path());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "spate: backed up %llu files (%s) to %s in %.1f s\n",
                 static_cast<unsigned long long>(files), mib(bytes).c_str(), dir->c_str(), seconds);
  });
}

}  // namespace spate::cli
