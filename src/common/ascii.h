// ascii: locale-free ASCII case helpers for protocol text (HTTP header names, SigV4's
// canonical forms), where std::tolower's locale dependence would be a bug.
#pragma once

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

}  // namespace spate::ascii
