// Record frame encoding.
#include "storage/record_writer.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/record_format.h"

#include <cstring>

namespace spate::storage {

namespace fmt = record_format;

std::size_t record_frame_size(const record_input& record) {
  return fmt::frame_header_size + fmt::payload_fixed_size +
         (record.explicit_hash_key ? fmt::explicit_hash_key_size : 0) +
         record.partition_key.size() + record.data.size();
}

void append_record_frame(std::string& dst, const record_input& record, position pos,
                         std::int64_t arrival_ms) {
  const std::size_t start = dst.size();
  const std::size_t frame_size = record_frame_size(record);
  dst.resize(start + frame_size);
  char* frame = dst.data() + start;
  char* payload = frame + fmt::frame_header_size;

  coding::put_u32(frame + fmt::frame_length_offset,
                  static_cast<std::uint32_t>(frame_size - fmt::frame_header_size));
  frame[fmt::frame_type_offset] = static_cast<char>(fmt::full_record_type);

  coding::put_u64(payload + fmt::payload_position_offset, pos);
  coding::put_u64(payload + fmt::payload_arrival_offset, static_cast<std::uint64_t>(arrival_ms));
  payload[fmt::payload_flags_offset] =
      static_cast<char>(record.explicit_hash_key ? fmt::flag_explicit_hash_key : 0);
  coding::put_u16(payload + fmt::payload_key_length_offset,
                  static_cast<std::uint16_t>(record.partition_key.size()));
  char* cursor = payload + fmt::payload_fixed_size;
  if (record.explicit_hash_key) {
    auto bytes = to_big_endian(*record.explicit_hash_key);
    std::memcpy(cursor, bytes.data(), bytes.size());
    cursor += bytes.size();
  }
  std::memcpy(cursor, record.partition_key.data(), record.partition_key.size());
  cursor += record.partition_key.size();
  if (!record.data.empty()) std::memcpy(cursor, record.data.data(), record.data.size());

  const std::uint32_t crc =
      crc32c::value(frame + fmt::frame_type_offset, frame_size - fmt::frame_type_offset);
  coding::put_u32(frame + fmt::frame_crc_offset, crc32c::mask(crc));
}

}  // namespace spate::storage
