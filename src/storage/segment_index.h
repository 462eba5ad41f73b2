// segment_index: the sparse position and time index of one segment.
//
// One entry is kept for the first record of the segment and then for the first record at or
// beyond every `interval` bytes. Because arrival times never decrease within a shard, the same
// entries answer both "where is position P" and "where is the first record at or after time
// T": each lookup returns the entry to start scanning from.
//
// Only the newest entries stay that dense: readers at the tail (subscribers, consumers that
// keep up) look up there on every read, and scan at most one interval. Whenever 2 x
// `dense_entries` dense entries have piled up, the oldest `dense_entries` of them are thinned
// to one in `thin_factor`: a catch-up read scans up to 16 intervals once, then reads on. So a
// full 128 MiB segment at 4 KiB intervals holds at most ~4,000 entries (96 KiB) instead of
// 32,768 (768 KiB), and memory per active shard stays small and nearly constant.
//
// A sealed segment does not keep its index in memory: `index_file_reader` answers the same
// lookups from the index file on disk, so memory does not grow with the data retained.
//
// Thread safety: none; the owning segment guards it with its mutex.
#pragma once

#include "common/result.h"
#include "storage/file.h"
#include "storage/record.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::storage {

struct index_entry {
  position pos = 0;
  std::uint64_t offset = 0;  // byte offset of the record's frame in the segment file
  std::int64_t arrival_ms = 0;
  friend bool operator==(const index_entry&, const index_entry&) = default;
};

inline constexpr std::int64_t no_arrival = std::numeric_limits<std::int64_t>::min();

// What an index file holds (record_format.h, "Index file").
struct index_file_contents;

class segment_index {
 public:
  static constexpr std::size_t dense_entries = 1024;
  static constexpr std::size_t thin_factor = 16;

  explicit segment_index(std::uint64_t interval) : interval_(interval) {}

  // Offers a record that was just appended at `offset`; keeps it if it starts a new interval.
  void add(position pos, std::uint64_t offset, std::int64_t arrival_ms) {
    if (entries_.empty() || offset - entries_.back().offset >= interval_) {
      entries_.push_back({pos, offset, arrival_ms});
      if (entries_.size() - thinned_ >= 2 * dense_entries) thin_oldest_dense();
    }
  }

  // The last entry at or before `pos`; nullopt if `pos` precedes every entry.
  std::optional<index_entry> floor_position(position pos) const;
  // The last entry whose arrival is before `arrival_ms`, the point to scan from for the first
  // record at or after that time; nullopt if no entry is earlier (scan from the start).
  std::optional<index_entry> floor_time(std::int64_t arrival_ms) const;

  const std::vector<index_entry>& entries() const { return entries_; }

  // Frees the entries (the index lives on in its file).
  void release() {
    std::vector<index_entry>().swap(entries_);
    thinned_ = 0;
  }

  // Index file encoding; see record_format.h.
  std::string encode_file(position base, position next, std::uint64_t trusted_size,
                          std::int64_t max_arrival) const;
  // Decodes an index file; errc::bad_segment_header or unsupported_version on a bad one.
  static result<index_file_contents> decode_file(std::string_view bytes, std::uint64_t interval);

 private:
  void thin_oldest_dense();

  std::uint64_t interval_;
  std::vector<index_entry> entries_;
  std::size_t thinned_ = 0;  // entries_[0, thinned_) are thinned; the rest are dense
};

struct index_file_contents {
  position base = 0;
  position next = 0;
  std::uint64_t trusted_size = 0;
  std::int64_t max_arrival = no_arrival;
  segment_index index{0};
};

// Lookups in an index file without loading it: a binary search that reads one 24-byte entry
// per step (12 reads for the ~4,000 entries of a full 128 MiB segment). The file's checksum
// covers the whole file and is checked when the file is first trusted (segment::open or
// written by this process), not here; callers check what an entry claims against the
// segment itself.
class index_file_reader {
 public:
  // Fails with errc::bad_segment_header unless `f` has exactly the size of an index file of
  // `count` entries.
  static result<index_file_reader> open(const file& f, std::uint32_t count);

  // As segment_index::floor_position and floor_time.
  result<std::optional<index_entry>> floor_position(position pos) const;
  result<std::optional<index_entry>> floor_time(std::int64_t arrival_ms) const;

 private:
  index_file_reader(const file& f, std::uint32_t count) : file_(&f), count_(count) {}
  result<index_entry> entry_at(std::uint32_t i) const;
  // The last entry for which `before` holds (it must hold for a prefix of the entries).
  template <typename Before>
  result<std::optional<index_entry>> last_where(Before before) const;

  const file* file_;
  std::uint32_t count_;
};

}  // namespace spate::storage
