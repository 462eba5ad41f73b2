// Segment files: header, appends, reads through the sparse index, recovery on open.
#include "storage/segment.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/errc.h"
#include "storage/record_format.h"
#include "storage/record_reader.h"
#include "storage/segment_name.h"

#include <algorithm>
#include <cstring>

namespace spate::storage {
namespace {

namespace fmt = record_format;

std::string encode_segment_header(position base, std::int64_t now_ms) {
  std::string h(fmt::segment_header_size, '\0');
  std::memcpy(h.data(), fmt::segment_magic.data(), fmt::segment_magic.size());
  coding::put_u32(h.data() + 8, fmt::segment_version);
  coding::put_u32(h.data() + 12, static_cast<std::uint32_t>(fmt::segment_header_size));
  coding::put_u64(h.data() + 16, base);
  coding::put_u64(h.data() + 24, static_cast<std::uint64_t>(now_ms));
  coding::put_u32(h.data() + fmt::segment_header_crc_offset,
                  crc32c::mask(crc32c::value(h.data(), fmt::segment_header_crc_offset)));
  return h;
}

// Checks a segment header; returns the offset of the first frame.
result<std::uint64_t> check_segment_header(std::string_view h, position expected_base) {
  if (h.size() < fmt::segment_header_size ||
      h.substr(0, fmt::segment_magic.size()) != fmt::segment_magic ||
      crc32c::unmask(coding::get_u32(h.data() + fmt::segment_header_crc_offset)) !=
          crc32c::value(h.data(), fmt::segment_header_crc_offset)) {
    return errc::bad_segment_header;
  }
  if (coding::get_u32(h.data() + 8) != fmt::segment_version) return errc::unsupported_version;
  const std::uint32_t header_size = coding::get_u32(h.data() + 12);
  if (header_size < fmt::segment_header_size || coding::get_u64(h.data() + 16) != expected_base) {
    return errc::bad_segment_header;
  }
  return header_size;
}

std::string file_path(const std::string& dir, position base, segment_file_kind kind) {
  return join_path(dir, segment_file_name{base, kind}.format());
}

// How many bytes to read per chunk for a read with these limits: enough for the records asked
// for at a typical size, plus a skip from the index entry, within sane bounds.
std::size_t read_chunk_size(const read_limits& limits, std::uint64_t index_interval) {
  const std::size_t estimate =
      std::min<std::size_t>(limits.max_records, 1u << 16) * 256 + index_interval;
  return std::clamp<std::size_t>(std::min(estimate, limits.max_bytes + index_interval + 4096),
                                 16u << 10, 256u << 10);
}

}  // namespace

segment::segment(file_system& fs, std::string dir, position base, std::unique_ptr<file> f,
                 const segment_options& options)
    : fs_(fs),
      dir_(std::move(dir)),
      path_(file_path(dir_, base, segment_file_kind::segment)),
      base_(base),
      file_(std::move(f)),
      options_(options),
      next_(base),
      index_(options.index_interval) {}

result<std::shared_ptr<segment>> segment::create(file_system& fs, const std::string& dir,
                                                 position base, std::int64_t now_ms,
                                                 const segment_options& options) {
  const std::string path = file_path(dir, base, segment_file_kind::segment);
  SPATE_TRY(auto f, fs.open(path, open_mode::create_new));
  if (auto written = f->append(encode_segment_header(base, now_ms)); !written) {
    // Leave no half-made file behind, or every later attempt would fail with EEXIST.
    f.reset();
    (void)fs.remove(path);
    return written.error();
  }
  std::shared_ptr<segment> s(new segment(fs, dir, base, std::move(f), options));
  s->size_ = fmt::segment_header_size;
  return s;
}

result<std::shared_ptr<segment>> segment::open(file_system& fs, const std::string& dir,
                                               position base, bool is_active,
                                               const segment_options& options,
                                               const corruption_reporter& reporter) {
  const std::string path = file_path(dir, base, segment_file_kind::segment);
  SPATE_TRY(auto f, fs.open(path, open_mode::open_existing));
  std::shared_ptr<segment> s(new segment(fs, dir, base, std::move(f), options));
  file& data = *s->file_;

  std::string header(fmt::segment_header_size, '\0');
  SPATE_TRY(auto header_read, data.read_at(0, header.data(), header.size()));
  header.resize(header_read);
  auto first_frame = check_segment_header(header, base);
  if (!first_frame) {
    // A short or zeroed header was never synced, and every acknowledgement of a record in
    // this segment waits for a sync that covers the header: nothing in the file was
    // acknowledged. Start it afresh (a crash between creating the file and its first sync).
    bool torn = header.size() < fmt::segment_header_size ||
                std::all_of(header.begin(), header.end(), [](char c) { return c == 0; });
    if (!torn) return first_frame.error();
    SPATE_TRY_VOID(data.truncate(0));
    SPATE_TRY_VOID(data.append(encode_segment_header(base, 0)));
    SPATE_TRY_VOID(data.sync());
    first_frame = fmt::segment_header_size;
    (void)fs.remove(file_path(dir, base, segment_file_kind::index));
  }
  // A header that says the first frame starts past the end of the file is no header a writer
  // made (it goes out whole, and is synced, before any record): recovering from there would
  // give the segment a size past its file.
  if (*first_frame > data.size()) return errc::bad_segment_header;

  // Trust the index file up to the size it records, if it is intact and fits; scan the rest.
  std::uint64_t scan_from = *first_frame;
  position expected = base;
  std::int64_t max_arrival = no_arrival;
  segment_index index(options.index_interval);
  bool index_trusted = false;
  const std::string index_path = file_path(dir, base, segment_file_kind::index);
  if (auto bytes = fs.read_file(index_path)) {
    auto contents = segment_index::decode_file(*bytes, options.index_interval);
    if (contents && contents->base == base && contents->trusted_size >= *first_frame &&
        contents->trusted_size <= data.size()) {
      scan_from = contents->trusted_size;
      expected = contents->next;
      max_arrival = contents->max_arrival;
      index = std::move(contents->index);
      index_trusted = true;
    }
  }
  SPATE_TRY(auto scan, scan_segment(data, path, scan_from, expected, max_arrival, index));

  if (scan.corruption) {
    if (reporter) reporter(*scan.corruption);
    if (options.strict_recovery && !is_active) return errc::corruption;
    s->positions_seen_end_ = scan.positions_seen_end;
  }
  if (scan.valid_end < data.size()) {
    SPATE_TRY_VOID(data.truncate(scan.valid_end));
    SPATE_TRY_VOID(data.sync());
  }
  s->size_ = scan.valid_end;
  s->next_ = scan.next_position;
  s->max_arrival_ = scan.max_arrival;
  s->index_ = std::move(index);
  s->synced_size_ = scan.valid_end;
  s->dir_synced_ = true;
  s->index_written_ = index_trusted && scan.valid_end == scan_from && !scan.corruption;
  return s;
}

position segment::next_position() const {
  std::lock_guard lock(mu_);
  return next_;
}

std::uint64_t segment::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

std::int64_t segment::max_arrival() const {
  std::lock_guard lock(mu_);
  return max_arrival_;
}

result<void> segment::append(const encoded_batch& batch) {
  if (failed_.load(std::memory_order_acquire) || sealed_.load(std::memory_order_acquire)) {
    return errc::log_closed;
  }
  const std::uint64_t start = file_->size();
  if (auto written = file_->append(batch.frames); !written) {
    if (!file_->truncate(start)) failed_.store(true, std::memory_order_release);
    return written.error();
  }
  index_written_.store(false, std::memory_order_release);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < batch.count(); ++i) {
    index_.add(batch.first + i, start + batch.frame_offsets[i], batch.arrival_ms);
  }
  size_ = start + batch.frames.size();
  next_ = batch.first + batch.count();
  if (batch.count() > 0) max_arrival_ = std::max(max_arrival_, batch.arrival_ms);
  return {};
}

result<void> segment::read(position from, const read_limits& limits, read_batch& out) const {
  // What readers may see, taken once: bytes past `end` may be mid-write.
  std::uint64_t end;
  position next;
  {
    std::lock_guard lock(mu_);
    end = size_;
    next = next_;
  }
  out.next = std::max(out.next, from);
  if (from >= next) return {};
  const std::optional<index_entry> entry = floor_position(from);
  std::uint64_t offset = entry ? entry->offset : fmt::segment_header_size;  // frame to scan from
  // Whether the first frame at `offset` is still to be checked against the entry: an index
  // file damaged after it was trusted must cost a full scan, never a wrong answer.
  bool check_entry = entry.has_value();

  const std::size_t chunk = read_chunk_size(limits, options_.index_interval);
  std::size_t min_want = 0;  // set when one frame is larger than a chunk
  while (offset < end) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(chunk, min_want), end - offset));
    auto buffer = std::make_unique_for_overwrite<char[]>(want);  // read_at fills it
    SPATE_TRY(auto got, file_->read_at(offset, buffer.get(), want));
    const std::string_view bytes(buffer.get(), got);

    std::size_t cursor = 0;
    bool used = false;
    bool full = false;
    bool entry_wrong = false;
    // Damage inside bytes published to readers (a file shorter than them, a frame that fails
    // its checks, a length that runs past them): the records before it are served and the
    // batch ends there; the read that starts at the damage gets the error. Nothing after it is
    // ever served around it.
    bool damaged = got != want;
    while (!damaged && cursor < bytes.size()) {
      decoded_frame frame = decode_frame(bytes.substr(cursor));
      if (check_entry && frame.status != frame_status::incomplete) {
        check_entry = false;
        entry_wrong = frame.status != frame_status::ok || frame.record.pos != entry->pos;
        if (entry_wrong) break;
      }
      if (frame.status == frame_status::incomplete) break;  // continues in the next chunk
      if (frame.status == frame_status::skipped) {
        cursor += frame.frame_size;
        continue;
      }
      if (frame.status != frame_status::ok) {
        damaged = true;
        break;
      }
      const record_view& r = frame.record;
      if (r.pos >= from) {
        const std::size_t record_bytes = r.partition_key.size() + r.data.size();
        if (out.records.size() >= limits.max_records ||
            (!out.records.empty() && out.bytes + record_bytes > limits.max_bytes)) {
          full = true;
          std::lock_guard lock(mu_);
          resume_at_ = index_entry{r.pos, offset + cursor, r.arrival_ms};
          break;
        }
        out.records.push_back(r);
        out.bytes += record_bytes;
        out.next = r.pos + 1;
        used = true;
      }
      cursor += frame.frame_size;
    }
    if (cursor == 0 && !entry_wrong && !full && !damaged) {
      // The frame at `offset` is larger than a chunk: read it whole on the next round.
      const std::size_t frame_size =
          bytes.size() < fmt::frame_header_size
              ? 0
              : fmt::frame_header_size + coding::get_u32(bytes.data() + fmt::frame_length_offset);
      if (frame_size > want && frame_size <= end - offset) {
        min_want = frame_size;
        continue;
      }
      if (check_entry) {
        entry_wrong = true;  // no frame of that length starts at the entry's offset
      } else {
        damaged = true;
      }
    }
    if (entry_wrong) {
      check_entry = false;
      offset = fmt::segment_header_size;
      min_want = 0;
      continue;
    }
    if (used) out.buffers.push_back(std::move(buffer));
    if (damaged && out.records.empty()) return errc::corruption;
    if (damaged || full || out.next >= next) return {};
    min_want = 0;
    offset += cursor;
  }
  return {};
}

result<std::optional<position>> segment::find_time(std::int64_t arrival_ms) const {
  position next;
  {
    std::lock_guard lock(mu_);
    if (max_arrival_ < arrival_ms) return std::optional<position>{};
    next = next_;
  }
  const std::optional<index_entry> entry = floor_time(arrival_ms);
  position from = entry ? entry->pos : base_;
  // The answer lies within about one index interval of the entry, whose record arrived
  // before `arrival_ms`; one that did not means a damaged index file: scan from the start.
  bool check_entry = entry.has_value();
  while (from < next) {
    read_batch batch;
    SPATE_TRY_VOID(read(from, read_limits{256, 1u << 20}, batch));
    if (check_entry) {
      check_entry = false;
      if (batch.records.empty() || batch.records.front().pos != entry->pos ||
          batch.records.front().arrival_ms >= arrival_ms) {
        from = base_;
        continue;
      }
    }
    for (const auto& r : batch.records) {
      if (r.arrival_ms >= arrival_ms) return std::optional<position>(r.pos);
    }
    if (batch.records.empty()) break;
    from = batch.next;
  }
  return std::optional<position>{};
}

namespace {

// Of two places to scan from, the one nearer to (and not past) the position sought.
std::optional<index_entry> nearer(std::optional<index_entry> a, std::optional<index_entry> b) {
  if (!a) return b;
  if (!b) return a;
  return a->pos >= b->pos ? a : b;
}

}  // namespace

std::optional<index_entry> segment::floor_position(position pos) const {
  std::optional<index_entry> resume;
  {
    std::lock_guard lock(mu_);
    if (resume_at_ && resume_at_->pos <= pos) resume = resume_at_;
    if (!index_on_disk_) return nearer(index_.floor_position(pos), resume);
  }
  if (resume && resume->pos == pos) return resume;  // a sequential read: no file to open
  return nearer(look_up_in_index_file([pos](const index_file_reader& reader) {
                  return reader.floor_position(pos);
                }),
                resume);
}

std::optional<index_entry> segment::floor_time(std::int64_t arrival_ms) const {
  {
    std::lock_guard lock(mu_);
    if (!index_on_disk_) return index_.floor_time(arrival_ms);
  }
  return look_up_in_index_file(
      [arrival_ms](const index_file_reader& reader) { return reader.floor_time(arrival_ms); });
}

template <typename Lookup>
std::optional<index_entry> segment::look_up_in_index_file(Lookup lookup) const {
  std::uint32_t count;
  std::uint64_t end;
  position next;
  {
    std::lock_guard lock(mu_);  // sealed: none of these change any more
    count = index_file_entries_;
    end = size_;
    next = next_;
  }
  auto f = fs_.open(file_path(dir_, base_, segment_file_kind::index), open_mode::open_existing);
  if (!f) return std::nullopt;  // removed by retention under a reader, or lost
  auto reader = index_file_reader::open(**f, count);
  if (!reader) return std::nullopt;
  auto found = lookup(*reader);
  if (!found || !*found) return std::nullopt;
  const index_entry& e = **found;
  if (e.offset < fmt::segment_header_size || e.offset >= end || e.pos < base_ || e.pos >= next) {
    return std::nullopt;
  }
  return e;
}

result<void> segment::sync() {
  if (failed_.load(std::memory_order_acquire)) return errc::log_closed;
  const std::uint64_t covered = file_->size();
  if (auto synced = file_->sync(); !synced) {
    failed_.store(true, std::memory_order_release);
    return synced.error();
  }
  return record_synced(covered);
}

result<void> segment::covered_by_volume_sync(std::uint64_t mark) {
  if (failed_.load(std::memory_order_acquire)) return errc::log_closed;
  return record_synced(mark);
}

result<void> segment::record_synced(std::uint64_t covered) {
  if (!dir_synced_.load(std::memory_order_acquire)) {
    if (auto synced = fs_.sync_dir(dir_); !synced) {
      failed_.store(true, std::memory_order_release);
      return synced.error();
    }
    dir_synced_.store(true, std::memory_order_release);
  }
  std::uint64_t prev = synced_size_.load(std::memory_order_relaxed);
  while (prev < covered && !synced_size_.compare_exchange_weak(prev, covered)) {
  }
  return {};
}

result<void> segment::write_index_file() {
  std::lock_guard index_lock(index_file_mu_);
  return write_index_file_locked();
}

result<void> segment::write_index_file_locked() {
  if (removed_) return {};  // a seal that ran after retention removed the segment
  std::string contents;
  {
    std::lock_guard lock(mu_);
    if (next_ == base_) return {};
    contents = index_.encode_file(base_, next_, size_, max_arrival_);
  }
  SPATE_TRY_VOID(
      fs_.write_file_atomically(file_path(dir_, base_, segment_file_kind::index), contents));
  index_written_.store(true, std::memory_order_release);
  return {};
}

result<void> segment::seal() {
  sealed_.store(true, std::memory_order_release);
  std::lock_guard index_lock(index_file_mu_);
  if (removed_) return {};
  if (!index_written_.load(std::memory_order_acquire)) SPATE_TRY_VOID(write_index_file_locked());
  std::lock_guard lock(mu_);
  if (next_ == base_ || index_on_disk_) return {};  // an empty segment has no index at all
  index_file_entries_ = static_cast<std::uint32_t>(index_.entries().size());
  index_.release();
  index_on_disk_ = true;
  return {};
}

std::size_t segment::resident_index_entries() const {
  std::lock_guard lock(mu_);
  return index_.entries().size();
}

void segment::remove_index_file() {
  index_written_.store(false, std::memory_order_release);
  (void)fs_.remove(file_path(dir_, base_, segment_file_kind::index));
}

result<void> segment::remove_files() {
  std::lock_guard index_lock(index_file_mu_);
  removed_ = true;
  (void)fs_.remove(file_path(dir_, base_, segment_file_kind::index));
  return fs_.remove(path_);
}

}  // namespace spate::storage
