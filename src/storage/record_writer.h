// Encodes records into the frame format of record_format.h.
#pragma once

#include "storage/record.h"

#include <cstddef>
#include <string>

namespace spate::storage {

// Bytes the frame for `record` occupies on disk, header included.
std::size_t record_frame_size(const record_input& record);

// Appends one complete frame for `record` at `pos` / `arrival_ms` to `dst`. The caller has
// checked the partition key against record_format::max_partition_key_size and the payload
// against record_format::max_payload_size (see shard_log::append).
void append_record_frame(std::string& dst, const record_input& record, position pos,
                         std::int64_t arrival_ms);

}  // namespace spate::storage
