// Decimal and big-endian conversions of 128-bit integers.
#include "common/uint128.h"

#include <algorithm>

namespace spate {

std::optional<uint128> parse_uint128(std::string_view decimal) {
  if (decimal.empty() || decimal.size() > 39) return std::nullopt;
  uint128 value = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<unsigned>(c - '0');
    if (value > (uint128_max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string to_decimal(uint128 value) {
  if (value == 0) return "0";
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::array<unsigned char, 16> to_big_endian(uint128 value) {
  std::array<unsigned char, 16> bytes{};
  for (int i = 15; i >= 0; --i) {
    bytes[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

uint128 from_big_endian(const unsigned char* bytes16) {
  uint128 value = 0;
  for (int i = 0; i < 16; ++i) value = (value << 8) | bytes16[i];
  return value;
}

}  // namespace spate
