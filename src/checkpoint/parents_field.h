// parents_field: how every checkpointer stores a shard's parent ids - one text field, the ids
// joined with ','. An id that is empty or holds a ',' could not be read back, so every backend
// (the memory one too, to behave the same) refuses an entry with one.
#pragma once

#include <spate/client/checkpointer.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::client::detail {

inline std::string join_parents(const std::vector<std::string>& parents) {
  std::string joined;
  for (const std::string& parent : parents) {
    if (!joined.empty()) joined += ',';
    joined += parent;
  }
  return joined;
}

inline std::vector<std::string> split_parents(std::string_view joined) {
  std::vector<std::string> parents;
  while (!joined.empty()) {
    const std::size_t comma = joined.find(',');
    parents.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return parents;
}

// The error for an entry whose parents cannot be stored, or nothing.
inline std::optional<error> unstorable_parents(const shard_lease& entry) {
  for (const std::string& parent : entry.parent_shard_ids) {
    if (parent.empty() || parent.find(',') != std::string::npos) {
      return error{
          error_code::invalid_option,
          "parent shard ids must be non-empty and contain no ',' (shard " + entry.shard_id + ")",
          0};
    }
  }
  return std::nullopt;
}

}  // namespace spate::client::detail
