// The storage error category: names and messages for storage::errc.
#include "storage/errc.h"

#include <string>

namespace spate::storage {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "spate.storage"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::corruption:
        return "corrupt record frame before the end of a segment";
      case errc::bad_segment_header:
        return "bad segment header";
      case errc::unsupported_version:
        return "unsupported storage format version";
      case errc::position_trimmed:
        return "position was removed by retention";
      case errc::record_too_large:
        return "record exceeds the frame size limit";
      case errc::log_closed:
        return "log is closed";
    }
    return "unknown storage error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& storage_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace spate::storage
