// md5_lanes: MD5 of many short messages at once. On a CPU with AVX2 eight messages are hashed
// side by side, one per 32-bit lane of a 256-bit register (MD5 is a chain of 32-bit steps, so
// eight independent chains fill the register); elsewhere, and for a lone message, each goes
// through OpenSSL. Both give the same digests: md5_lanes_test.cc checks the lanes against
// OpenSSL on random messages of every length a partition key can have and more.
//
// Kinesis hashes every record's partition key (hash_keys.h); a PutRecords request brings up to
// 500, usually of a few dozen bytes, which is one MD5 block each - the case this is fast for.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace spate::md5 {

using digest = std::array<std::uint8_t, 16>;

// The digest of one message (OpenSSL).
digest of(std::string_view message);

// out[i] = of(messages[i]); out.size() must equal messages.size(). Eight lanes at a time with
// AVX2 when the CPU has it (checked once, at run time), one at a time otherwise.
void of_each(std::span<const std::string_view> messages, std::span<digest> out);

// The same, with the lanes whatever the CPU says; false (and nothing written) when this build
// or CPU has no AVX2. For tests and benchmarks that compare the two paths.
bool of_each_in_lanes(std::span<const std::string_view> messages, std::span<digest> out);

}  // namespace spate::md5
