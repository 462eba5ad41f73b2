// report_format: number formatting shared by the load tools' text reports.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>

namespace spate::bench {

// A whole number with thousands separators: 1234567.8 -> "1,234,568".
inline std::string thousands(double v) {
  const std::string digits = fmt::format("{:.0f}", v);
  const std::size_t sign = digits.starts_with('-') ? 1 : 0;
  std::string out = digits.substr(0, sign);
  for (std::size_t i = sign; i < digits.size(); ++i) {
    if (i > sign && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace spate::bench
