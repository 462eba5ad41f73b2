// shared_batches: a page is found under exactly the key it was kept with, the bounds on
// entries and bytes hold, and a page too large to keep is not kept.
#include "api/shared_batches.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

shared_batches::key key_at(storage::position first) {
  return {.stream = "ticks",
          .stream_created_ms = 1000,
          .shard = 1,
          .first = first,
          .max_records = 10'000,
          .max_bytes = 1u << 20};
}

std::shared_ptr<const shared_batches::batch> page_of(std::string encoded,
                                                     storage::position next = 0) {
  auto page = std::make_shared<shared_batches::batch>();
  page->encoded = std::move(encoded);
  page->next = next;
  return page;
}

TEST(SharedBatches, FindsAPageOnlyUnderTheKeyItWasKeptWith) {
  shared_batches cache;
  const std::string name = "ticks";
  auto page = page_of("records 0..10", 10);
  cache.keep(key_at(0), page);
  EXPECT_EQ(cache.find(key_at(0)), page) << "the same bytes, shared";

  // The key's stream view may point anywhere: the kept entry owns its copy of the name.
  auto same = key_at(0);
  same.stream = std::string_view(name);
  EXPECT_EQ(cache.find(same), page);

  auto other = key_at(0);
  other.stream = "tocks";
  EXPECT_EQ(cache.find(other), nullptr) << "another stream";
  other = key_at(0);
  other.stream_created_ms = 2000;
  EXPECT_EQ(cache.find(other), nullptr) << "the same name, created again";
  other = key_at(0);
  other.shard = 2;
  EXPECT_EQ(cache.find(other), nullptr) << "another shard";
  EXPECT_EQ(cache.find(key_at(1)), nullptr) << "another position";
  other = key_at(0);
  other.shard_changes = 1;
  EXPECT_EQ(cache.find(other), nullptr) << "the shard changed since: a read of its own is longer";
  other = key_at(0);
  other.max_bytes = 1000;
  EXPECT_EQ(cache.find(other), nullptr) << "a reader with other limits reads other pages";
  other = key_at(0);
  other.max_records = 5;
  EXPECT_EQ(cache.find(other), nullptr);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 7u);
}

TEST(SharedBatches, TheFirstPageKeptForAKeyStays) {
  shared_batches cache;
  auto first = page_of("records 0..10", 10);
  cache.keep(key_at(0), first);
  cache.keep(key_at(0), page_of("records 0..12", 12));  // read a little later, by another
  EXPECT_EQ(cache.find(key_at(0)), first);
}

TEST(SharedBatches, KeepsAtMostItsEntriesOldestDroppedFirst) {
  shared_batches cache(2, 1u << 20);
  cache.keep(key_at(0), page_of("x"));
  cache.keep(key_at(1), page_of("x"));
  cache.keep(key_at(2), page_of("x"));  // drops 0
  EXPECT_NE(cache.find(key_at(2)), nullptr);
  EXPECT_NE(cache.find(key_at(1)), nullptr) << "the two newest are kept";
  EXPECT_EQ(cache.find(key_at(0)), nullptr) << "the oldest was dropped";
}

TEST(SharedBatches, KeepsAtMostItsBytes) {
  // Each entry counts its bytes and its stream name's: 95 + 5.
  shared_batches cache(64, 400);
  for (storage::position i = 0; i < 5; ++i) cache.keep(key_at(i), page_of(std::string(95, 'r')));
  EXPECT_EQ(cache.find(key_at(0)), nullptr) << "the first was dropped to stay within 400 bytes";
  for (storage::position i = 1; i < 5; ++i) EXPECT_NE(cache.find(key_at(i)), nullptr) << i;
}

TEST(SharedBatches, APageTooLargeIsNotKept) {
  shared_batches cache(64, 400);
  cache.keep(key_at(0), page_of(std::string(96, 'r')));  // with the name, over a quarter of 400
  EXPECT_EQ(cache.find(key_at(0)), nullptr);
  cache.keep(key_at(1), page_of(std::string(95, 'r')));
  EXPECT_NE(cache.find(key_at(1)), nullptr);
}

}  // namespace
}  // namespace spate::api
