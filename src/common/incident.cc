// incident: process-wide counters and throttled error lines.
#include "common/incident.h"

#include "common/log.h"

#include <atomic>
#include <cerrno>

namespace spate::incident {
namespace {

struct kind_state {
  std::atomic<std::uint64_t> count{0};
  log::throttle lines;
};

std::array<kind_state, kind_count>& states() {
  static std::array<kind_state, kind_count> all;
  return all;
}

}  // namespace

std::string_view name(kind k) {
  switch (k) {
    case kind::disk_full:
      return "disk_full";
    case kind::io_error:
      return "io_error";
    case kind::sync_failed:
      return "sync_failed";
    case kind::descriptors_exhausted:
      return "descriptors_exhausted";
    case kind::catalog_write_failed:
      return "catalog_write_failed";
  }
  return "unknown";
}

void report(kind k, std::string_view what, std::error_code ec) {
  auto& s = states()[static_cast<std::size_t>(k)];
  s.count.fetch_add(1, std::memory_order_relaxed);
  if (auto held_back = s.lines.allow()) {
    log::error("{} ({}){}{}", what, name(k), ec ? ": " + ec.message() : std::string(),
               *held_back ? " [" + std::to_string(*held_back) + " more since the last report]"
                          : std::string());
  }
}

kind of_write_error(std::error_code ec) {
  if (ec == std::errc::no_space_on_device ||
      ec == std::error_code(EDQUOT, std::system_category())) {
    return kind::disk_full;
  }
  return kind::io_error;
}

std::uint64_t count(kind k) {
  return states()[static_cast<std::size_t>(k)].count.load(std::memory_order_relaxed);
}

}  // namespace spate::incident
