// Recovery: scanning a segment file from its last trusted point, as on every open.
//
// The scan verifies each frame (length, type, CRC, consecutive positions), rebuilds the sparse
// index as it goes, and stops at the first bad frame. What that frame means is decided by what
// follows it:
//   - nothing valid follows (a short header, a frame running past end of file, zeros, or
//     garbage with no intact frame after it): a torn tail, the normal result of a crash in the
//     middle of a write. It is end-of-log, not corruption.
//   - an intact frame with a later position follows: corruption before the tail. It is
//     reported with its offset and never skipped silently; the caller's policy decides whether
//     opening fails (the default) or the log is cut there.
//
// Functions here do not modify the file; segment::open applies the outcome. Telling the two
// apart reads everything after the bad frame into memory once: at most one segment (128 MiB by
// default), and only on this failure path.
#pragma once

#include "common/result.h"
#include "storage/file.h"
#include "storage/segment_index.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace spate::storage {

struct corruption_report {
  std::string path;
  std::uint64_t offset = 0;      // first bad byte
  std::uint64_t resumes_at = 0;  // offset of the next intact frame after the bad bytes
  std::string reason;
};

// Called once per corruption found; may be called from any thread that opens a log.
using corruption_reporter = std::function<void(const corruption_report&)>;

struct scan_outcome {
  std::uint64_t valid_end = 0;  // end offset of the last intact frame (or the start offset)
  position next_position = 0;   // one past the last intact record
  std::int64_t max_arrival = no_arrival;
  std::optional<corruption_report> corruption;
  // With corruption: one past the highest position of the intact frames after it, so a log
  // cut at the corruption never hands those positions out again.
  position positions_seen_end = 0;
};

// Scans `f` from `start_offset`, a frame boundary up to which everything is trusted, where the
// next record must have position `expected`. Appends index entries for what it reads to
// `index`. Fails only on I/O errors.
result<scan_outcome> scan_segment(const file& f, const std::string& path,
                                  std::uint64_t start_offset, position expected,
                                  std::int64_t max_arrival, segment_index& index);

}  // namespace spate::storage
