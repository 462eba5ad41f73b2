// Sparse index lookups in memory and in an index file, and the index file codec.
#include "storage/segment_index.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/errc.h"
#include "storage/record_format.h"

#include <algorithm>

namespace spate::storage {

namespace fmt = record_format;

void segment_index::thin_oldest_dense() {
  const auto first = entries_.begin() + static_cast<std::ptrdiff_t>(thinned_);
  auto kept = first;
  for (std::size_t i = 0; i < dense_entries; i += thin_factor) *kept++ = first[i];
  entries_.erase(kept, first + dense_entries);
  thinned_ += dense_entries / thin_factor;
}

std::optional<index_entry> segment_index::floor_position(position pos) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), pos,
                             [](position p, const index_entry& e) { return p < e.pos; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<index_entry> segment_index::floor_time(std::int64_t arrival_ms) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), arrival_ms,
                             [](const index_entry& e, std::int64_t t) { return e.arrival_ms < t; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::string segment_index::encode_file(position base, position next, std::uint64_t trusted_size,
                                       std::int64_t max_arrival) const {
  std::string out;
  out.reserve(fmt::index_header_size + entries_.size() * fmt::index_entry_size +
              fmt::index_trailer_size);
  out.append(fmt::index_magic);
  coding::append_fixed<std::uint32_t>(out, fmt::index_version);
  coding::append_fixed<std::uint32_t>(out, static_cast<std::uint32_t>(entries_.size()));
  coding::append_fixed<std::uint64_t>(out, base);
  coding::append_fixed<std::uint64_t>(out, next);
  coding::append_fixed<std::uint64_t>(out, trusted_size);
  coding::append_fixed<std::uint64_t>(out, static_cast<std::uint64_t>(max_arrival));
  for (const auto& e : entries_) {
    coding::append_fixed<std::uint64_t>(out, e.pos);
    coding::append_fixed<std::uint64_t>(out, e.offset);
    coding::append_fixed<std::uint64_t>(out, static_cast<std::uint64_t>(e.arrival_ms));
  }
  coding::append_fixed<std::uint32_t>(out, crc32c::mask(crc32c::value(out)));
  return out;
}

result<index_file_contents> segment_index::decode_file(std::string_view bytes,
                                                       std::uint64_t interval) {
  if (bytes.size() < fmt::index_header_size + fmt::index_trailer_size ||
      bytes.substr(0, fmt::index_magic.size()) != fmt::index_magic) {
    return errc::bad_segment_header;
  }
  const char* p = bytes.data();
  const std::size_t body = bytes.size() - fmt::index_trailer_size;
  if (crc32c::unmask(coding::get_u32(p + body)) != crc32c::value(p, body)) {
    return errc::bad_segment_header;
  }
  if (coding::get_u32(p + 8) != fmt::index_version) return errc::unsupported_version;
  const std::uint32_t count = coding::get_u32(p + 12);
  if (fmt::index_header_size + std::size_t{count} * fmt::index_entry_size != body) {
    return errc::bad_segment_header;
  }
  index_file_contents out;
  out.base = coding::get_u64(p + 16);
  out.next = coding::get_u64(p + 24);
  out.trusted_size = coding::get_u64(p + 32);
  out.max_arrival = static_cast<std::int64_t>(coding::get_u64(p + 40));
  out.index = segment_index(interval);
  out.index.entries_.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const char* e = p + fmt::index_header_size + i * fmt::index_entry_size;
    out.index.entries_.push_back({coding::get_u64(e), coding::get_u64(e + 8),
                                  static_cast<std::int64_t>(coding::get_u64(e + 16))});
  }
  out.index.thinned_ = count;  // entries added later count from here
  return out;
}

result<index_file_reader> index_file_reader::open(const file& f, std::uint32_t count) {
  const std::uint64_t expected = fmt::index_header_size +
                                 std::uint64_t{count} * fmt::index_entry_size +
                                 fmt::index_trailer_size;
  if (f.size() != expected) return errc::bad_segment_header;
  return index_file_reader(f, count);
}

result<index_entry> index_file_reader::entry_at(std::uint32_t i) const {
  char e[fmt::index_entry_size];
  SPATE_TRY(auto got, file_->read_at(fmt::index_header_size + std::uint64_t{i} * sizeof e, e,
                                     sizeof e));
  if (got != sizeof e) return errc::bad_segment_header;
  return index_entry{coding::get_u64(e), coding::get_u64(e + 8),
                     static_cast<std::int64_t>(coding::get_u64(e + 16))};
}

template <typename Before>
result<std::optional<index_entry>> index_file_reader::last_where(Before before) const {
  // Invariant: entries [0, low) satisfy `before`, entries [high, count) do not.
  std::uint32_t low = 0;
  std::uint32_t high = count_;
  std::optional<index_entry> found;
  while (low < high) {
    const std::uint32_t mid = low + (high - low) / 2;
    SPATE_TRY(auto e, entry_at(mid));
    if (before(e)) {
      found = e;
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return found;
}

result<std::optional<index_entry>> index_file_reader::floor_position(position pos) const {
  return last_where([pos](const index_entry& e) { return e.pos <= pos; });
}

result<std::optional<index_entry>> index_file_reader::floor_time(std::int64_t arrival_ms) const {
  return last_where([arrival_ms](const index_entry& e) { return e.arrival_ms < arrival_ms; });
}

}  // namespace spate::storage
