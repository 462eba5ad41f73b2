// metadata::errc: expected failures of the catalog, plus SQLite result codes as error_codes.
#pragma once

#include <system_error>

namespace spate::metadata {

enum class errc {
  stream_not_found = 1,
  stream_exists,
  shard_not_found,
  // The catalog file was written by a newer schema than this build knows.
  schema_too_new,
};

const std::error_category& metadata_category() noexcept;
// SQLite primary and extended result codes; messages come from sqlite3_errstr.
const std::error_category& sqlite_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), metadata_category()};
}
inline std::error_code sqlite_error(int rc) noexcept {
  return {rc, sqlite_category()};
}

}  // namespace spate::metadata

template <>
struct std::is_error_code_enum<spate::metadata::errc> : std::true_type {};
