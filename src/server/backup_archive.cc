// backup_archive: the tar writer behind GET /v1/backup.
#include "server/backup_archive.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace spate::server {
namespace {

constexpr std::size_t block = 512;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
  // width - 1 digits and a NUL, as ustar readers expect.
  const std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

void put_size(char* field, std::uint64_t size) {
  if (size < (std::uint64_t{1} << 33)) return put_octal(field, 12, size);
  // base-256: the first byte's top bit set, the value big-endian in the rest.
  std::memset(field, 0, 12);
  field[0] = static_cast<char>(0x80);
  for (int i = 11; i >= 4; --i, size >>= 8) field[i] = static_cast<char>(size & 0xff);
}

std::string padding(std::uint64_t size) {
  return std::string((block - size % block) % block, '\0');
}

}  // namespace

std::string backup_archive::header(const std::string& path, std::uint64_t size, unsigned mode,
                                   std::int64_t modified_s) {
  std::string h(block, '\0');
  char* p = h.data();
  std::string name = path, prefix;
  if (name.size() > 100) {
    // Split at a '/' so that the prefix fits 155 bytes and the name 100.
    std::size_t cut = path.rfind('/', 155);
    while (cut != std::string::npos && path.size() - cut - 1 > 100) cut = std::string::npos;
    if (cut != std::string::npos) {
      prefix = path.substr(0, cut);
      name = path.substr(cut + 1);
    }
  }
  std::memcpy(p, name.data(), std::min<std::size_t>(name.size(), 100));
  put_octal(p + 100, 8, mode);
  put_octal(p + 108, 8, 0);  // uid
  put_octal(p + 116, 8, 0);  // gid
  put_size(p + 124, size);
  put_octal(p + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(modified_s, 0)));
  std::memset(p + 148, ' ', 8);  // the checksum counts its own field as spaces
  p[156] = '0';                  // a regular file
  std::memcpy(p + 257, "ustar", 6);
  std::memcpy(p + 263, "00", 2);
  std::memcpy(p + 265, "root", 4);
  std::memcpy(p + 297, "root", 4);
  std::memcpy(p + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  const std::string digits = fmt::format("{:06o}", sum);
  std::memcpy(p + 148, digits.data(), 6);
  p[154] = '\0';
  p[155] = ' ';
  return h;
}

backup_archive::backup_archive(engine::backup_snapshot snapshot, std::string version,
                               std::int64_t created_ms, std::shared_ptr<void> slot)
    : snapshot_(std::move(snapshot)), slot_(std::move(slot)), created_ms_(created_ms) {
  manifest_ = fmt::format(
      "{{\"format\":1,\"version\":\"{}\",\"created_ms\":{},\"files\":{},\"bytes\":{}}}\n", version,
      created_ms_, snapshot_.files().size(), snapshot_.total_bytes());
}

api::push_source::status backup_archive::pull(api::pushed_message& message) {
  std::string& out = message.head;  // nothing of an archive is shared
  if (finished_) return status::finished;
  if (!manifest_sent_) {
    manifest_sent_ = true;
    out += header("spate-backup.json", manifest_.size(), 0644, created_ms_ / 1000);
    out += manifest_;
    out += padding(manifest_.size());
    return status::message;
  }
  const auto& files = snapshot_.files();
  if (next_file_ == files.size()) {
    out.append(2 * block, '\0');  // the end of the archive
    finished_ = true;
    return status::message;
  }
  const engine::backup_file& file = files[next_file_];
  if (!in_file_) {
    in_file_ = true;
    offset_ = 0;
    const bool secret = file.path == "server.key";
    out += header(file.path, file.size, secret ? 0600 : 0644, file.modified_s);
  }
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(piece_bytes, file.size - offset_));
  if (want > 0) {
    const std::size_t at = out.size();
    out.resize(at + want);
    const ssize_t got = ::pread(file.fd, out.data() + at, want, static_cast<off_t>(offset_));
    // A file shorter than at the snapshot (a failed append cut back) reads as zeros, which the
    // log's recovery treats as a torn tail.
    if (got < static_cast<ssize_t>(want)) {
      std::memset(out.data() + at + std::max<ssize_t>(got, 0), 0,
                  want - static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
    }
    offset_ += want;
  }
  if (offset_ == file.size) {
    out += padding(file.size);
    in_file_ = false;
    ++next_file_;
  }
  return status::message;
}

}  // namespace spate::server
