// Decodes record frames (record_format.h) from a byte range. Pure functions over memory:
// segments and recovery decide what a failed frame means for the file it came from.
#pragma once

#include "storage/record.h"

#include <cstddef>
#include <string_view>

namespace spate::storage {

enum class frame_status {
  ok,           // a record; `record` and `frame_size` are set
  skipped,      // an unknown type with the safe-to-ignore bit; `frame_size` is set
  incomplete,   // the header or the payload runs past the end of the bytes given
  zero,         // a whole header of zeros: preallocated or never-written space
  bad_length,   // payload length above record_format::max_payload_size
  bad_type,     // an unknown type without the safe-to-ignore bit
  bad_crc,      // the stored CRC does not match the type and payload
  bad_payload,  // the CRC matched but the payload's own lengths are inconsistent
};

const char* to_string(frame_status status);

struct decoded_frame {
  frame_status status = frame_status::incomplete;
  std::size_t frame_size = 0;
  record_view record;  // views into the bytes passed to decode_frame
};

// Decodes the frame that starts at bytes[0]. Never reads outside `bytes`.
decoded_frame decode_frame(std::string_view bytes);

}  // namespace spate::storage
