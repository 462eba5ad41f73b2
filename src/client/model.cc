// hash_key_midpoint (client.h): the split point of a shard's range, from the rulebook's
// spate::kinesis::midpoint over the decimal keys AWS writes.
#include "common/uint128.h"
#include "kinesis/hash_keys.h"

#include <spate/client/client.h>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;

namespace spate::client {

std::string hash_key_midpoint(const hash_key_range& range) {
  const auto lo = parse_uint128(range.starting_hash_key);
  const auto hi = parse_uint128(range.ending_hash_key);
  if (!lo || !hi) return {};
  const auto middle = rulebook::midpoint({*lo, *hi});
  return middle ? to_decimal(*middle) : std::string();
}

}  // namespace spate::client
