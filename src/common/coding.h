// Fixed-width little-endian integer coding for on-disk formats. Every persistent integer in
// Spate is little-endian regardless of the host; these helpers are the only place that knows.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace spate::coding {

template <class T>
inline void put_fixed(char* dst, T value) {
  static_assert(std::is_unsigned_v<T>);
  for (std::size_t i = 0; i < sizeof(T); ++i) dst[i] = static_cast<char>(value >> (8 * i));
}

template <class T>
inline T get_fixed(const char* src) {
  static_assert(std::is_unsigned_v<T>);
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

template <class T>
inline void append_fixed(std::string& dst, T value) {
  char bytes[sizeof(T)];
  put_fixed(bytes, value);
  dst.append(bytes, sizeof(T));
}

inline void put_u16(char* dst, std::uint16_t v) {
  put_fixed(dst, v);
}
inline void put_u32(char* dst, std::uint32_t v) {
  put_fixed(dst, v);
}
inline void put_u64(char* dst, std::uint64_t v) {
  put_fixed(dst, v);
}
inline std::uint16_t get_u16(const char* src) {
  return get_fixed<std::uint16_t>(src);
}
inline std::uint32_t get_u32(const char* src) {
  return get_fixed<std::uint32_t>(src);
}
inline std::uint64_t get_u64(const char* src) {
  return get_fixed<std::uint64_t>(src);
}

}  // namespace spate::coding
