// The machine's clocks behind the `clock` interface.
#include "common/clock.h"

namespace spate {
namespace {

class machine_clock final : public clock {
 public:
  std::int64_t wall_ms() const override { return now_ms(); }
  std::int64_t steady_ms() const override { return spate::steady_ms(); }
};

}  // namespace

const clock& system_clock() {
  static const machine_clock instance;
  return instance;
}

}  // namespace spate
