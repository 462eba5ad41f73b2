// incident: failures of the machine under the server that an operator must see even when no
// client complains (a producer whose PutRecords fail per record still gets HTTP 200): a full
// disk, I/O errors, failed syncs, exhausted descriptors, an unwritable catalog. Whoever meets
// one reports it here; it is counted (rendered in /metrics as spate_incidents_total{kind})
// and logged at error level, at most once a second per kind, with how many were held back.
//
// The counters are process-wide, like the logger: the layers that meet these failures
// (storage, metadata, server) do not otherwise share an object.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace spate::incident {

enum class kind {
  disk_full,              // ENOSPC, EDQUOT
  io_error,               // EIO and any other failed write or read of a data file
  sync_failed,            // fsync/fdatasync failed: what was written may not be durable
  descriptors_exhausted,  // EMFILE, ENFILE (accept, open)
  catalog_write_failed,   // the SQLite catalog refused a change
};
inline constexpr std::size_t kind_count = 5;

std::string_view name(kind k);

// Counts one incident and logs `what` (with the error's text) unless a line for this kind went
// out less than a second ago.
void report(kind k, std::string_view what, std::error_code ec = {});
// The kind a failed write's error belongs to (disk_full or io_error).
kind of_write_error(std::error_code ec);

std::uint64_t count(kind k);

}  // namespace spate::incident
