// CRC32C (Castagnoli), as used by every checksum in Spate's on-disk formats.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it and a table otherwise; both give the
// same values (checked against RFC 3720's vectors in crc32c_test.cc). Thread safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spate::crc32c {

// Returns the CRC32C of data[0, n) continuing from `crc`, the CRC of the bytes before them.
std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t n);

inline std::uint32_t value(const void* data, std::size_t n) {
  return extend(0, data, n);
}
inline std::uint32_t value(std::string_view s) {
  return extend(0, s.data(), s.size());
}

// A CRC stored next to the data it covers is masked, so that a CRC computed over bytes that
// themselves contain CRCs does not degenerate (leveldb's rotation plus constant).
inline constexpr std::uint32_t mask_delta = 0xa282ead8u;
inline std::uint32_t mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + mask_delta;
}
inline std::uint32_t unmask(std::uint32_t masked) {
  std::uint32_t rot = masked - mask_delta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace spate::crc32c
