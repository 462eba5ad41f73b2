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

  // Each field of the key on its own makes another key.
  const std::pair<const char*, void (*)(shared_batches::key&)> differences[] = {
      {"another stream", [](shared_batches::key& k) { k.stream = "tocks"; }},
      {"the same name, created again", [](shared_batches::key& k) { k.stream_created_ms = 2000; }},
      {"another shard", [](shared_batches::key& k) { k.shard = 2; }},
      {"another position", [](shared_batches::key& k) { k.first = 1; }},
      {"the shard changed since: a read of its own is longer",
       [](shared_batches::key& k) { k.shard_changes = 1; }},
      {"a reader with other byte limits", [](shared_batches::key& k) { k.max_bytes = 1000; }},
      {"a reader with other record limits", [](shared_batches::key& k) { k.max_records = 5; }},
  };
  for (const auto& [why, change] : differences) {
    auto other = key_at(0);
    change(other);
    EXPECT_EQ(cache.find(other), nullptr) << why;
  }
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
