// segment_recovery: storage recovery (storage::segment::open, which scans with
// storage::scan_segment) over a segment file of arbitrary bytes in a mem_file_system.
//
// Input: a flags byte, then the segment file's bytes.
//   bit 0  the file begins with a valid segment header (made by segment::create), so the
//          scan goes deep; otherwise the input's bytes are the whole file
//   bit 1  the target writes correct CRCs into the record frames it can walk from the first
//          frame (mutations then reach payload checks: positions, key lengths)
//   bit 2  open it as the active segment (corruption is cut, whatever the policy)
//   bit 3  strict recovery (a sealed segment with corruption fails to open)
//   bit 4  an index file too: a 2-byte little-endian length L, L bytes, then the segment; the
//          target writes the index file's trailing CRC
//   bit 5  without bit 0: the target writes a correct header CRC into the input's header
//   bit 6  base position 1000 instead of 0
// Properties: nothing crashes or trips a sanitizer; each corruption reported lies within the
// file; a scan ends within the file; after a successful open the file is cut to exactly the
// recovered size, which is within what the file held (a torn header gives a fresh one); and,
// without an index file (a cache recovery trusts), every recovered position reads back in
// order, and a record appended at the recovered end reopens strictly with the position after.
#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/mem_file.h"
#include "storage/record_format.h"
#include "storage/record_writer.h"
#include "storage/recovery.h"
#include "storage/segment.h"
#include "storage/segment_name.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace spate;
using namespace spate::storage;
namespace fmt = storage::record_format;

const std::string dir = "/shard";

[[noreturn]] void fail(const char* what, std::uint64_t a = 0, std::uint64_t b = 0) {
  std::fprintf(stderr, "segment_recovery: %s (%llu, %llu)\n", what,
               static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  std::abort();
}

std::string path_of(position base, segment_file_kind kind) {
  return join_path(dir, segment_file_name{base, kind}.format());
}

void put_masked_crc(std::string& s, std::size_t at, std::size_t from, std::size_t to) {
  coding::put_u32(s.data() + at, crc32c::mask(crc32c::value(s.data() + from, to - from)));
}

// Correct CRCs for the frames that fit, walking from `at`.
void fix_frame_crcs(std::string& s, std::size_t at) {
  while (at <= s.size() && s.size() - at >= fmt::frame_header_size) {
    const std::uint32_t length = coding::get_u32(s.data() + at + fmt::frame_length_offset);
    if (length > s.size() - at - fmt::frame_header_size) return;
    put_masked_crc(s, at + fmt::frame_crc_offset, at + fmt::frame_type_offset,
                   at + fmt::frame_header_size + length);
    at += fmt::frame_header_size + length;
  }
}

// Reads every record of `seg` from its base; they must be exactly base .. next-1, in order.
void check_reads_back(const segment& seg) {
  position from = seg.base();
  while (from < seg.next_position()) {
    read_batch batch;
    if (!seg.read(from, read_limits{1000, 1u << 20}, batch))
      fail("a recovered record is unreadable", from);
    if (batch.records.empty()) fail("a read made no progress", from, seg.next_position());
    for (const auto& r : batch.records) {
      if (r.pos != from) fail("a record read back out of order", r.pos, from);
      ++from;
    }
    if (batch.next != from) fail("a read's next position is off", batch.next, from);
  }
}

// Appends one record at the recovered end; a strict reopen must recover it too.
void check_appends(mem_file_system& fs, segment& seg) {
  const position pos = seg.next_position();
  const std::uint64_t size = seg.size();
  encoded_batch batch;
  batch.first = pos;
  batch.arrival_ms = seg.max_arrival() == no_arrival ? 1000 : seg.max_arrival();
  batch.frame_offsets.push_back(0);
  append_record_frame(batch.frames, {"key", std::nullopt, "appended"}, pos, batch.arrival_ms);
  if (!seg.append(batch)) fail("an append after recovery failed", pos);
  auto again = segment::open(fs, dir, seg.base(), false, {.strict_recovery = true}, {});
  if (!again) fail("a recovered segment with one more record does not reopen", pos);
  if ((*again)->next_position() != pos + 1)
    fail("the reopened end is off", (*again)->next_position(), pos + 1);
  if ((*again)->size() != size + batch.frames.size())
    fail("the reopened size is off", (*again)->size(), size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const position base = flags & 0x40 ? 1000 : 0;
  const bool with_index = flags & 0x10;

  mem_file_system fs;
  if (!fs.create_dirs(dir)) std::abort();
  std::string index_bytes;
  if (with_index) {
    if (in.size() < 2) return 0;
    const std::size_t length = std::min<std::size_t>(coding::get_u16(in.data()), in.size() - 2);
    index_bytes.assign(in.substr(2, length));
    in.remove_prefix(2 + length);
    if (index_bytes.size() >= 4)
      put_masked_crc(index_bytes, index_bytes.size() - 4, 0, index_bytes.size() - 4);
  }

  std::string file;
  if (flags & 0x01) {
    if (!segment::create(fs, dir, base, 1000, {})) std::abort();
    file = fs.contents(path_of(base, segment_file_kind::segment));
  }
  file.append(in);
  if (!(flags & 0x01) && (flags & 0x20) && file.size() >= fmt::segment_header_size) {
    put_masked_crc(file, fmt::segment_header_crc_offset, 0, fmt::segment_header_crc_offset);
  }
  if (flags & 0x02) fix_frame_crcs(file, fmt::segment_header_size);
  const std::uint64_t file_size = file.size();
  const std::string path = path_of(base, segment_file_kind::segment);
  fs.set_contents(path, file);
  if (with_index) fs.set_contents(path_of(base, segment_file_kind::index), index_bytes);

  // The scan on its own, from the first frame of a standard header.
  if (file_size >= fmt::segment_header_size) {
    auto f = fs.open(path, open_mode::open_existing);
    segment_index index(4096);
    auto scan = scan_segment(**f, path, fmt::segment_header_size, base, no_arrival, index);
    if (!scan) fail("a scan of a file in memory failed");
    if (scan->valid_end < fmt::segment_header_size || scan->valid_end > file_size) {
      fail("the scan ended outside the file", scan->valid_end, file_size);
    }
    if (scan->next_position < base) fail("the scan went back before the base", scan->next_position);
    if (scan->corruption && (scan->corruption->offset != scan->valid_end ||
                             scan->corruption->resumes_at <= scan->corruption->offset ||
                             scan->corruption->resumes_at > file_size)) {
      fail("a corruption report outside the file", scan->corruption->offset,
           scan->corruption->resumes_at);
    }
  }

  std::vector<corruption_report> reports;
  const segment_options options{.index_interval = 512, .strict_recovery = (flags & 0x08) != 0};
  auto seg = segment::open(fs, dir, base, (flags & 0x04) != 0, options,
                           [&reports](const corruption_report& r) { reports.push_back(r); });
  for (const auto& r : reports) {
    if (r.offset >= file_size || r.resumes_at <= r.offset || r.resumes_at > file_size) {
      fail("a corruption report outside the file", r.offset, r.resumes_at);
    }
  }
  if (!seg) return 0;

  const segment& s = **seg;
  const bool fresh_header = s.size() == fmt::segment_header_size && s.next_position() == base;
  if (s.size() > file_size && !fresh_header)
    fail("the recovered end is past the file", s.size(), file_size);
  if (s.size() < fmt::segment_header_size) fail("the recovered end is inside the header", s.size());
  if (fs.contents(path).size() != s.size()) {
    fail("the file is not cut to the recovered end", fs.contents(path).size(), s.size());
  }
  if (s.next_position() < base) fail("the recovered end is before the base", s.next_position());
  if (with_index) return 0;
  check_reads_back(s);
  check_appends(fs, **seg);
  return 0;
}
