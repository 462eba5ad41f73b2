// engine: puts and reads on real files, resharding with records across the lineage, restart,
// iterator expiry and stream-scoped errors.
#include "engine/engine.h"

#include "testutil/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace spate::engine {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    options_.data_dir = dir_.path();
    options_.fsync = storage::fsync_policy::batch;
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
  }

  // Puts one record and waits for its durable acknowledgement.
  put_result put(const std::string& stream, std::string_view key, std::string_view data) {
    storage::record_input record{key, std::nullopt, data};
    std::promise<put_result> done;
    auto r = engine_->put(
        stream, std::span(&record, 1),
        [&](std::vector<put_result>& results, std::uint32_t) { done.set_value(results.front()); });
    EXPECT_TRUE(r) << r.error().message;
    return done.get_future().get();
  }

  std::vector<std::string> read_all(const std::string& stream, metadata::shard_index shard) {
    iterator_request req{stream, shard, iterator_type::trim_horizon, {}, 0};
    auto it = engine_->get_shard_iterator(req);
    EXPECT_TRUE(it);
    auto page = engine_->get_records(*it, 10000);
    EXPECT_TRUE(page);
    std::vector<std::string> out;
    for (const auto& r : page->batch.records) out.emplace_back(r.data);
    return out;
  }

  testutil::temp_dir dir_;
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

TEST_F(EngineTest, PutThenReadBackInOrder) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  for (int i = 0; i < 100; ++i) put("s", fmt::format("k{}", i), fmt::format("v{}", i));
  const auto records = read_all("s", 0);
  ASSERT_EQ(records.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(records[i], fmt::format("v{}", i));
}

TEST_F(EngineTest, RecordsSurviveRestartWithTheSameSequenceNumbers) {
  ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
  const auto first = put("s", "key", "before");
  const auto seq = engine_->describe("s")->sequence_number(first.shard, first.pos);
  engine_->close();
  engine_.reset();
  open();
  auto snap = engine_->describe("s");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->sequence_number(first.shard, first.pos), seq);
  const auto second = put("s", "key", "after");
  EXPECT_EQ(second.shard, first.shard);
  EXPECT_EQ(second.pos, first.pos + 1);
  EXPECT_EQ(read_all("s", first.shard), (std::vector<std::string>{"before", "after"}));
}

TEST_F(EngineTest, SplitClosesTheParentAndChildrenTakeNewRecords) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  put("s", "a", "old");
  ASSERT_TRUE(engine_->split_shard("s", 0, uint128_max / 2));
  const auto next = put("s", "a", "new");
  EXPECT_NE(next.shard, 0u);
  // Reading the closed parent to its end gives its records, no next iterator, and children.
  auto it = engine_->get_shard_iterator({"s", 0, iterator_type::trim_horizon, {}, 0});
  auto page = engine_->get_records(*it, 10000);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->batch.records.size(), 1u);
  EXPECT_FALSE(page->next_iterator);
  EXPECT_EQ(page->children.size(), 2u);
  EXPECT_EQ(read_all("s", next.shard), std::vector<std::string>{"new"});
}

TEST_F(EngineTest, ExpiredIteratorsAreRefused) {
  engine_->close();
  engine_.reset();
  options_.iterator_ttl_ms = 1;
  open();
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  auto it = engine_->get_shard_iterator({"s", 0, iterator_type::latest, {}, 0});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto page = engine_->get_records(*it, 1);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, failure_kind::expired_iterator);
}

TEST_F(EngineTest, MissingAndDuplicateStreamsAreReported) {
  auto missing = engine_->describe("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "Stream nope under account 000000000000 not found.");
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  auto again = engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, failure_kind::resource_in_use);
}

}  // namespace
}  // namespace spate::engine
