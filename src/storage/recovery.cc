// Segment scan with torn-tail versus mid-file corruption classification.
#include "storage/recovery.h"

#include "common/coding.h"
#include "storage/record_format.h"
#include "storage/record_reader.h"

#include <algorithm>

namespace spate::storage {
namespace {

namespace fmt = record_format;

constexpr std::size_t scan_chunk_size = 4u << 20;

// Is there an intact record frame with position >= `expected` anywhere in `bytes` after its
// first byte? Returns its offset within `bytes`. Cheap checks come before the CRC so that a
// garbage region costs little per byte.
std::optional<std::size_t> find_next_intact_frame(std::string_view bytes, position expected) {
  for (std::size_t at = 1; at + fmt::frame_header_size + fmt::payload_fixed_size <= bytes.size();
       ++at) {
    const char* p = bytes.data() + at;
    if (static_cast<std::uint8_t>(p[fmt::frame_type_offset]) != fmt::full_record_type) continue;
    const std::uint32_t length = coding::get_u32(p + fmt::frame_length_offset);
    if (length < fmt::payload_fixed_size || length > fmt::max_payload_size) continue;
    if (bytes.size() - at - fmt::frame_header_size < length) continue;
    const position pos = coding::get_u64(p + fmt::frame_header_size);
    if (pos < expected) continue;
    if (decode_frame(bytes.substr(at)).status == frame_status::ok) return at;
  }
  return std::nullopt;
}

}  // namespace

result<scan_outcome> scan_segment(const file& f, const std::string& path,
                                  std::uint64_t start_offset, position expected,
                                  std::int64_t max_arrival, segment_index& index) {
  scan_outcome out;
  out.valid_end = start_offset;
  out.next_position = expected;
  out.max_arrival = max_arrival;
  const std::uint64_t file_size = f.size();

  std::string buffer;
  std::uint64_t buffer_offset = start_offset;  // file offset of buffer[0]
  std::size_t cursor = 0;                      // next frame within buffer
  frame_status failure = frame_status::ok;
  std::string failure_reason;

  while (buffer_offset + cursor < file_size) {
    std::string_view rest(buffer.data() + cursor, buffer.size() - cursor);
    decoded_frame frame = decode_frame(rest);
    if (frame.status == frame_status::incomplete && buffer_offset + buffer.size() < file_size) {
      // Refill: keep the partial frame, read at least the whole of it if its length is known.
      buffer.erase(0, cursor);
      buffer_offset += cursor;
      cursor = 0;
      std::size_t want = scan_chunk_size;
      if (buffer.size() >= fmt::frame_header_size) {
        want = std::max<std::size_t>(
            want,
            fmt::frame_header_size + coding::get_u32(buffer.data() + fmt::frame_length_offset));
      }
      const std::uint64_t have_end = buffer_offset + buffer.size();
      const std::size_t to_read =
          static_cast<std::size_t>(std::min<std::uint64_t>(want, file_size - have_end));
      const std::size_t old_size = buffer.size();
      buffer.resize(old_size + to_read);
      SPATE_TRY(auto n, f.read_at(have_end, buffer.data() + old_size, to_read));
      buffer.resize(old_size + n);
      if (n == 0) break;
      continue;
    }
    if (frame.status == frame_status::skipped) {
      cursor += frame.frame_size;
      out.valid_end = buffer_offset + cursor;
      continue;
    }
    if (frame.status == frame_status::ok && frame.record.pos != out.next_position) {
      failure = frame_status::bad_payload;
      failure_reason = "record position " + std::to_string(frame.record.pos) + " where " +
                       std::to_string(out.next_position) + " was expected";
      break;
    }
    if (frame.status != frame_status::ok) {
      failure = frame.status;
      failure_reason = to_string(frame.status);
      break;
    }
    index.add(frame.record.pos, buffer_offset + cursor, frame.record.arrival_ms);
    out.max_arrival = std::max(out.max_arrival, frame.record.arrival_ms);
    ++out.next_position;
    cursor += frame.frame_size;
    out.valid_end = buffer_offset + cursor;
  }

  if (out.valid_end >= file_size) return out;

  // Something after valid_end is not an intact next frame. Look at everything that follows to
  // tell a torn tail from corruption in the middle.
  std::string tail(static_cast<std::size_t>(file_size - out.valid_end), '\0');
  SPATE_TRY(auto n, f.read_at(out.valid_end, tail.data(), tail.size()));
  tail.resize(n);
  // Without an intact frame after valid_end, what follows is a torn tail: nothing to report.
  if (auto next = find_next_intact_frame(tail, out.next_position)) {
    out.corruption = corruption_report{
        path, out.valid_end, out.valid_end + *next,
        failure == frame_status::ok ? std::string("unreadable frame") : failure_reason};
    // Walk every intact frame after the corruption for the highest position in use.
    std::size_t at = *next;
    for (;;) {
      decoded_frame frame = decode_frame(std::string_view(tail).substr(at));
      if (frame.status == frame_status::ok) {
        out.positions_seen_end = std::max(out.positions_seen_end, frame.record.pos + 1);
        at += frame.frame_size;
        continue;
      }
      auto again = find_next_intact_frame(std::string_view(tail).substr(at),
                                          std::max(out.positions_seen_end, out.next_position));
      if (!again) break;
      at += *again;
    }
  }
  return out;
}

}  // namespace spate::storage
