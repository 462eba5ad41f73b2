// Segment and index file names.
#include "storage/segment_name.h"

#include <cstdio>

namespace spate::storage {
namespace {

constexpr std::size_t digits = 20;  // enough for any uint64
constexpr std::string_view segment_suffix = ".seg";
constexpr std::string_view index_suffix = ".idx";

}  // namespace

std::string segment_file_name::format() const {
  char buf[digits + 1];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(base));
  return std::string(buf) +
         std::string(kind == segment_file_kind::segment ? segment_suffix : index_suffix);
}

std::optional<segment_file_name> segment_file_name::parse(std::string_view name) {
  if (name.size() != digits + segment_suffix.size()) return std::nullopt;
  segment_file_name out;
  std::string_view suffix = name.substr(digits);
  if (suffix == segment_suffix) {
    out.kind = segment_file_kind::segment;
  } else if (suffix == index_suffix) {
    out.kind = segment_file_kind::index;
  } else {
    return std::nullopt;
  }
  position base = 0;
  for (char c : name.substr(0, digits)) {
    if (c < '0' || c > '9') return std::nullopt;
    position digit = static_cast<position>(c - '0');
    if (base > (UINT64_MAX - digit) / 10) return std::nullopt;
    base = base * 10 + digit;
  }
  out.base = base;
  return out;
}

}  // namespace spate::storage
