// shared_batches: a batch is encoded once per key, the bounds on entries and bytes hold, and an
// encoding too large to keep is still handed out whole.
#include "api/shared_batches.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

shared_batches::key key_at(storage::position first, storage::position next) {
  return {.stream_tag = 7, .shard = 1, .first = first, .next = next};
}

TEST(SharedBatches, EncodesOncePerKey) {
  shared_batches cache;
  int encoded = 0;
  auto encode = [&](std::string& out) {
    ++encoded;
    out = "batch " + std::to_string(encoded);
  };
  auto a = cache.get(key_at(0, 10), encode);
  auto b = cache.get(key_at(0, 10), encode);
  EXPECT_EQ(encoded, 1);
  EXPECT_EQ(a, b) << "the same bytes, shared";
  EXPECT_EQ(*b, "batch 1");
  auto c = cache.get(key_at(0, 11), encode);  // more records: other bytes
  EXPECT_EQ(*c, "batch 2");
  auto d = cache.get({.stream_tag = 7, .shard = 2, .first = 0, .next = 10}, encode);
  EXPECT_EQ(*d, "batch 3") << "another shard's records";
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(SharedBatches, KeepsAtMostItsEntriesOldestDroppedFirst) {
  shared_batches cache(2, 1u << 20);
  int encoded = 0;
  auto encode = [&](std::string& out) {
    ++encoded;
    out = "x";
  };
  cache.get(key_at(0, 1), encode);
  cache.get(key_at(1, 2), encode);
  cache.get(key_at(2, 3), encode);  // drops (0, 1)
  EXPECT_EQ(encoded, 3);
  cache.get(key_at(2, 3), encode);
  cache.get(key_at(1, 2), encode);
  EXPECT_EQ(encoded, 3) << "the two newest are kept";
  cache.get(key_at(0, 1), encode);
  EXPECT_EQ(encoded, 4) << "the oldest was dropped";
}

TEST(SharedBatches, KeepsAtMostItsBytes) {
  shared_batches cache(64, 400);
  int encoded = 0;
  auto hundred = [&](std::string& out) {
    ++encoded;
    out.assign(100, 'r');
  };
  for (storage::position i = 0; i < 5; ++i) cache.get(key_at(i, i + 1), hundred);  // 500 bytes
  EXPECT_EQ(encoded, 5);
  cache.get(key_at(0, 1), hundred);
  EXPECT_EQ(encoded, 6) << "the first was dropped to stay within 400 bytes";
  cache.get(key_at(4, 5), hundred);
  EXPECT_EQ(encoded, 6);
}

TEST(SharedBatches, AnEncodingTooLargeIsHandedOutButNotKept) {
  shared_batches cache(64, 400);
  int encoded = 0;
  auto large = [&](std::string& out) {
    ++encoded;
    out.assign(101, 'r');  // more than a quarter of 400
  };
  EXPECT_EQ(cache.get(key_at(0, 1), large)->size(), 101u);
  EXPECT_EQ(cache.get(key_at(0, 1), large)->size(), 101u);
  EXPECT_EQ(encoded, 2);
}

}  // namespace
}  // namespace spate::api
