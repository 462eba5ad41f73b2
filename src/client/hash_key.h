// hash_key: Kinesis' 128-bit hash keys on the client side - MD5 of a partition key read as a
// big-endian unsigned integer, and the decimal text form AWS uses for them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spate::client::detail {

using hash_key = unsigned __int128;

hash_key partition_hash(std::string_view partition_key);
std::string to_decimal(hash_key key);
// nullopt unless `text` is 1-39 decimal digits not above 2^128 - 1.
std::optional<hash_key> parse_decimal(std::string_view text);

}  // namespace spate::client::detail
