// Record frame decoding and validation.
#include "storage/record_reader.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/record_format.h"

#include <algorithm>

namespace spate::storage {

namespace fmt = record_format;

const char* to_string(frame_status status) {
  switch (status) {
    case frame_status::ok:
      return "ok";
    case frame_status::skipped:
      return "skipped";
    case frame_status::incomplete:
      return "incomplete frame";
    case frame_status::zero:
      return "zero-filled header";
    case frame_status::bad_length:
      return "bad frame length";
    case frame_status::bad_type:
      return "unknown frame type";
    case frame_status::bad_crc:
      return "checksum mismatch";
    case frame_status::bad_payload:
      return "inconsistent record payload";
  }
  return "?";
}

decoded_frame decode_frame(std::string_view bytes) {
  decoded_frame out;
  if (bytes.size() < fmt::frame_header_size) {
    // Even all-zero bytes may be the start of a real frame cut by the end of a buffer (a
    // masked CRC can start with zeros): callers decide what a short tail at end of file means.
    out.status = frame_status::incomplete;
    return out;
  }
  const char* frame = bytes.data();
  const std::uint32_t stored_crc = coding::get_u32(frame + fmt::frame_crc_offset);
  const std::uint32_t length = coding::get_u32(frame + fmt::frame_length_offset);
  const auto type = static_cast<std::uint8_t>(frame[fmt::frame_type_offset]);

  if (stored_crc == 0 && length == 0 && type == fmt::zero_type) {
    out.status = frame_status::zero;
    return out;
  }
  if (length > fmt::max_payload_size) {
    out.status = frame_status::bad_length;
    return out;
  }
  if (bytes.size() - fmt::frame_header_size < length) {
    out.status = frame_status::incomplete;
    return out;
  }
  out.frame_size = fmt::frame_header_size + length;
  const std::uint32_t actual_crc =
      crc32c::value(frame + fmt::frame_type_offset, 1 + static_cast<std::size_t>(length));
  if (crc32c::unmask(stored_crc) != actual_crc) {
    out.status = frame_status::bad_crc;
    return out;
  }
  if (type != fmt::full_record_type) {
    out.status = (type & fmt::safe_to_ignore_bit) ? frame_status::skipped : frame_status::bad_type;
    return out;
  }

  const char* payload = frame + fmt::frame_header_size;
  if (length < fmt::payload_fixed_size) {
    out.status = frame_status::bad_payload;
    return out;
  }
  const auto flags = static_cast<std::uint8_t>(payload[fmt::payload_flags_offset]);
  const std::size_t key_length = coding::get_u16(payload + fmt::payload_key_length_offset);
  const bool has_hash_key = (flags & fmt::flag_explicit_hash_key) != 0;
  const std::size_t variable_start =
      fmt::payload_fixed_size + (has_hash_key ? fmt::explicit_hash_key_size : 0);
  if (variable_start + key_length > length) {
    out.status = frame_status::bad_payload;
    return out;
  }
  record_view& r = out.record;
  r.pos = coding::get_u64(payload + fmt::payload_position_offset);
  r.arrival_ms = static_cast<std::int64_t>(coding::get_u64(payload + fmt::payload_arrival_offset));
  if (has_hash_key) {
    r.explicit_hash_key =
        from_big_endian(reinterpret_cast<const unsigned char*>(payload + fmt::payload_fixed_size));
  }
  r.partition_key = std::string_view(payload + variable_start, key_length);
  r.data =
      std::string_view(payload + variable_start + key_length, length - variable_start - key_length);
  out.status = frame_status::ok;
  return out;
}

}  // namespace spate::storage
