// Names of the files in a shard's directory: the one place that formats and parses them.
//
//   <base position as 20 decimal digits>.seg   a segment holding records from that position
//   <base position as 20 decimal digits>.idx   the index of a sealed segment (record_format.h)
//
// Zero-padding makes lexical order equal position order.
#pragma once

#include "storage/record.h"

#include <optional>
#include <string>
#include <string_view>

namespace spate::storage {

enum class segment_file_kind { segment, index };

struct segment_file_name {
  position base = 0;
  segment_file_kind kind = segment_file_kind::segment;

  std::string format() const;
  // nullopt for any name this module did not produce (temporary files, strangers).
  static std::optional<segment_file_name> parse(std::string_view name);
};

}  // namespace spate::storage
