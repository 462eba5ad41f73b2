// ascii: locale-free ASCII helpers for protocol text (HTTP header names, SigV4's canonical
// forms), where std::tolower's locale dependence would be a bug, and a quick test for text that
// is plain ASCII (and so valid UTF-8 without a closer look).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace spate::ascii {

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// Whether `a` and `b` are the same text but for the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Whether every byte is below 0x80, eight at a time. Partition keys and member names almost
// always are, and then need no UTF-8 validation (the CBOR fast path validates the rest).
inline bool all_ascii(std::string_view s) {
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    high |= word;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ull) == 0;
}

}  // namespace spate::ascii
