// shard_iterator: round trip, and every alteration or foreign key is refused.
#include "engine/shard_iterator.h"

#include <gtest/gtest.h>

namespace spate::engine {
namespace {

const secret key(std::string(32, 'k'));

TEST(ShardIteratorTest, RoundTrips) {
  const shard_iterator it{std::string(128, 'n'), 1700000000123, 42, 987654321, 1700000005000};
  const auto text = encode_shard_iterator(key, it);
  EXPECT_LE(text.size(), 512u);
  EXPECT_EQ(decode_shard_iterator(key, text), it);
}

TEST(ShardIteratorTest, RefusesAlteredIterators) {
  const auto text = encode_shard_iterator(key, {"stream", 1, 2, 3, 4});
  for (std::size_t i = 0; i + 4 < text.size(); ++i) {
    auto altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(decode_shard_iterator(key, altered)) << "char " << i;
  }
  EXPECT_FALSE(decode_shard_iterator(key, text.substr(0, text.size() / 2)));
  EXPECT_FALSE(decode_shard_iterator(key, "garbage"));
}

TEST(ShardIteratorTest, RefusesAnotherServersKey) {
  const secret other(std::string(32, 'o'));
  EXPECT_FALSE(decode_shard_iterator(other, encode_shard_iterator(key, {"s", 1, 2, 3, 4})));
}

}  // namespace
}  // namespace spate::engine
