// storage::errc: the expected failures of the storage layer, as std::error_code values.
// I/O failures are not listed here; they arrive as errno values in std::system_category.
#pragma once

#include <system_error>

namespace spate::storage {

enum class errc {
  // A record frame before the tail of a segment failed its length, type or CRC check.
  corruption = 1,
  // A segment file's header is missing, has the wrong magic, or fails its CRC.
  bad_segment_header,
  // A segment or index file was written by a newer format version than this build reads.
  unsupported_version,
  // The position asked for was removed by retention; the oldest retained one is later.
  position_trimmed,
  // A record's partition key or data exceeds the frame limits of record_format.h.
  record_too_large,
  // The log was closed, or failed an fsync and refuses further writes.
  log_closed,
};

const std::error_category& storage_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), storage_category()};
}

}  // namespace spate::storage

template <>
struct std::is_error_code_enum<spate::storage::errc> : std::true_type {};
