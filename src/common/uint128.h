// uint128: the 128-bit unsigned integer behind Kinesis hash keys, with decimal and big-endian
// byte conversions. Kinesis writes hash keys as decimal strings of up to 39 digits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate {

using uint128 = unsigned __int128;

inline constexpr uint128 uint128_max = ~static_cast<uint128>(0);

// Parses a decimal string of 1..39 digits with no sign or spaces; nullopt if it is not one or
// its value exceeds 2^128 - 1.
std::optional<uint128> parse_uint128(std::string_view decimal);

// Prints the shortest decimal form ("0" for zero).
std::string to_decimal(uint128 value);

// Big-endian 16-byte form, as stored in record frames and as MD5 digests read.
std::array<unsigned char, 16> to_big_endian(uint128 value);
uint128 from_big_endian(const unsigned char* bytes16);

}  // namespace spate
