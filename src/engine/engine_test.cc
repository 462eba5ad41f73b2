// engine: puts and reads on real files, resharding with records across the lineage, restart,
// iterator expiry, retention over time and stream-scoped errors.
#include "engine/engine.h"

#include "testutil/eventually.h"
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

TEST_F(EngineTest, RetentionTrimsOverTimeAndTrimmedPositionsReadFromTheHorizon) {
  engine_->close();
  engine_.reset();
  options_.retention_hour_ms = 50;  // the default 24 hours pass in 1.2 s
  options_.retention_check_ms = 5;
  options_.segment_size = 4096;  // old records fill several segments
  open();
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  const auto snap = engine_->describe("s");
  ASSERT_TRUE(snap);
  put_result first;
  for (int i = 0; i < 100; ++i) {
    const auto r = put("s", "k", fmt::format("old-{}-{}", i, std::string(100, 'o')));
    if (i == 0) first = r;
  }
  const std::string first_seq = snap->sequence_number(first.shard, first.pos);
  auto stale = engine_->get_shard_iterator({"s", 0, iterator_type::trim_horizon, {}, 0});
  ASSERT_TRUE(stale);
  ASSERT_EQ(read_all("s", 0).size(), 100u);

  // 20 s: a generous bound, as retention runs every few milliseconds here.
  ASSERT_TRUE(
      testutil::eventually([&] { return read_all("s", 0).empty(); }, std::chrono::seconds(20)))
      << "records older than the retention period were never removed";
  const auto after = put("s", "k", "new");
  EXPECT_EQ(after.pos, first.pos + 100) << "positions go on after trimmed records";
  EXPECT_EQ(read_all("s", 0), std::vector<std::string>{"new"});
  // Every way of naming a trimmed position reads from the trim horizon, never fails.
  auto page = engine_->get_records(*stale, 10000);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->batch.records.size(), 1u);
  EXPECT_EQ(page->batch.records[0].data, "new");
  iterator_request at_trimmed{"s", 0, iterator_type::at_sequence_number, {}, 0};
  at_trimmed.sequence_number = first_seq;
  auto it = engine_->get_shard_iterator(at_trimmed);
  ASSERT_TRUE(it) << it.error().message;
  page = engine_->get_records(*it, 10000);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->batch.records.size(), 1u);
  EXPECT_EQ(page->batch.records[0].pos, after.pos);

  // A longer retention keeps what the default would have removed: the longest (8760 hours)
  // lasts 7 minutes here, so waiting well past 24 "hours" cannot race with it. (The steps
  // above run well within the 1.2 s the record "new" has before the default removes it.)
  ASSERT_TRUE(engine_->change_retention("s", 8760, retention_change::increase));
  put("s", "k", "kept");
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));  // 36 "hours"
  EXPECT_EQ(read_all("s", 0), (std::vector<std::string>{"new", "kept"}));
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
