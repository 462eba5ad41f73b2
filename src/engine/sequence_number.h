// sequence_number: the decimal strings Kinesis calls sequence numbers, and their decoding.
//
// Layout (56 decimal digits, so numbers of one shard compare the same as strings and as
// integers):
//
//   "49" | stream tag (10) | shard index (10) | position (20) | check (14)
//
// - "49": a fixed prefix (AWS's numbers start this way too); it keeps every number 56 digits.
// - stream tag: a 32-bit hash of the stream's name and creation time, so a number from
//   another stream (or an earlier stream of the same name) is recognised.
// - shard index: the shard within the stream; a child shard's numbers exceed its parents'.
// - position: one more than the record's position in its shard's log (storage/record.h).
//   0 is the shard's start: the StartingSequenceNumber that DescribeStream and ListShards
//   show, below every record of the shard, so AFTER_SEQUENCE_NUMBER of it misses nothing.
// - check: a hash of the other fields modulo 10^14, so a mistyped number is rejected rather
//   than read as some other record.
//
// Within a shard, numbers grow with position; they are unique in a stream, stable across
// restarts and decode back to (stream tag, shard, position) in O(1).
#pragma once

#include "metadata/catalog.h"
#include "storage/record.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::engine {

struct sequence_fields {
  std::uint32_t stream_tag = 0;
  metadata::shard_index shard = 0;
  storage::position pos = 0;  // the record's position (0 for the shard start)
  bool shard_start = false;   // the number before the shard's first record

  friend bool operator==(const sequence_fields&, const sequence_fields&) = default;
};

inline constexpr std::size_t sequence_number_digits = 56;

// The tag that marks a stream's numbers: depends on its name and creation time.
std::uint32_t stream_tag(std::string_view stream_name, std::int64_t created_ms);

std::string format_sequence_number(const sequence_fields& fields);
// The shard's StartingSequenceNumber: below every record's number in the shard.
std::string shard_start_sequence_number(std::uint32_t stream_tag, metadata::shard_index shard);
// Writes the 56 digits to `out` (which must have room for them); no allocation.
void format_sequence_number(const sequence_fields& fields, char* out);

// Formats the numbers of one shard's records: the prefix, stream tag and shard digits are
// written once, then only the position and the check for each record (a GetRecords answer
// or a pushed batch formats up to 10,000).
class shard_sequence_formatter {
 public:
  shard_sequence_formatter(std::uint32_t stream_tag, metadata::shard_index shard);
  // format_sequence_number({stream_tag, shard, pos}, out).
  void format(storage::position pos, char* out) const;

 private:
  std::uint32_t stream_tag_;
  metadata::shard_index shard_;
  char head_[22];  // "49", the tag and the shard
};

// nullopt unless `text` is a number this server made (right length, prefix and check).
std::optional<sequence_fields> parse_sequence_number(std::string_view text);

}  // namespace spate::engine
