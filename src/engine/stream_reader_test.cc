// stream_reader and shard_watch on a real engine: wake-ups on commit (each after its put's own
// completion), on closing and on deletion, none after the watch is gone; lineage order across a
// split and a merge; a start time that holds for child shards too; where the reader goes on in
// each shard.
#include "engine/stream_reader.h"

#include "common/clock.h"
#include "testutil/counting_listener.h"
#include "testutil/eventually.h"
#include "testutil/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace spate::engine {
namespace {

using testutil::counting_listener;

class StreamReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.path();
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
    ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  }

  void put(std::string_view key, std::string_view data) {
    storage::record_input record{key, std::nullopt, data};
    std::promise<void> done;
    ASSERT_TRUE(engine_->put("s", std::span(&record, 1),
                             [&](std::vector<put_result>&, std::uint32_t) { done.set_value(); }));
    done.get_future().get();
  }

  // Every record the reader has now, as "shard:data", and the shards it ended.
  std::vector<std::string> drain(stream_reader& reader, std::vector<std::string>* ended = nullptr) {
    std::vector<std::string> out;
    for (;;) {
      auto page = reader.read();
      EXPECT_TRUE(page);
      if (!page || !*page) return out;
      for (const auto& r : (*page)->batch.records) {
        out.push_back(fmt::format("{}:{}", (*page)->shard, r.data));
      }
      if ((*page)->end_of_shard && ended) ended->push_back(std::to_string((*page)->shard));
    }
  }

  testutil::temp_dir dir_;
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

TEST_F(StreamReaderTest, WakesOnCommitCloseAndDeletionButNotAfterTheWatch) {
  counting_listener listener;
  auto reader = stream_reader::open(*engine_, {.stream = "s"}, &listener);
  ASSERT_TRUE(reader);
  EXPECT_EQ(listener.calls.load(), 0);
  put("k", "one");
  // The wake-up follows the put's completion (WakesSubscribersOnlyAfterThePutCompletes).
  EXPECT_TRUE(testutil::eventually([&] { return listener.calls.load() >= 1; }));
  EXPECT_EQ(drain(**reader), std::vector<std::string>{"0:one"});

  const int before_split = listener.calls.load();
  ASSERT_TRUE(engine_->split_shard("s", 0, uint128(1) << 127));
  EXPECT_GT(listener.calls.load(), before_split);  // the shard closed

  reader->reset();  // the reader and its watches are gone
  const int after_reset = listener.calls.load();
  counting_listener witness;  // hears the put, so its wake-ups are over once it has
  auto witnessing = stream_reader::open(*engine_, {.stream = "s"}, &witness);
  ASSERT_TRUE(witnessing);
  drain(**witnessing);  // past the closed parent, to the children it watches
  put("k", "unheard");
  ASSERT_TRUE(testutil::eventually([&] { return witness.calls.load() >= 1; }));
  EXPECT_EQ(listener.calls.load(), after_reset);

  counting_listener second;
  auto watching = stream_reader::open(*engine_, {.stream = "s"}, &second);
  ASSERT_TRUE(watching);
  ASSERT_TRUE(engine_->delete_stream("s"));
  EXPECT_GE(second.calls.load(), 1);
  EXPECT_FALSE((*watching)->read());  // the stream is gone
}

// On the server, a put's completion queues the producer's response and a wake-up queues a
// subscriber's delivery: the put's comes first, so its latency does not grow with the number of
// subscribers it feeds. Under `batch` both run on the committer's thread, under `never` on the
// putting one.
TEST_F(StreamReaderTest, WakesSubscribersOnlyAfterThePutCompletes) {
  struct ordering_listener final : shard_listener {
    std::atomic<bool> completed{false};  // the current put's
    std::atomic<int> calls{0};
    std::atomic<int> before_completion{0};
    void shard_changed(const shard_change&) noexcept override {
      if (!completed.load()) before_completion.fetch_add(1);
      calls.fetch_add(1);
    }
  };
  for (const auto policy : {storage::fsync_policy::batch, storage::fsync_policy::never}) {
    SCOPED_TRACE(std::string(storage::to_string(policy)));
    testutil::temp_dir dir;
    engine_options options;
    options.data_dir = dir.path();
    options.fsync = policy;
    auto e = engine::open(options);
    ASSERT_TRUE(e) << e.error().message();
    ASSERT_TRUE((*e)->create_stream("t", 1, metadata::stream_mode::provisioned, {}));
    ordering_listener listener;
    auto reader = stream_reader::open(**e, {.stream = "t"}, &listener);
    ASSERT_TRUE(reader);
    for (int i = 0; i < 20; ++i) {
      listener.completed.store(false);
      storage::record_input record{"k", std::nullopt, "x"};
      std::promise<void> done;
      ASSERT_TRUE((*e)->put("t", std::span(&record, 1),
                            [&](std::vector<put_result>& results, std::uint32_t) {
                              EXPECT_FALSE(results[0].error);
                              listener.completed.store(true);
                              done.set_value();
                            }));
      done.get_future().get();
      ASSERT_TRUE(testutil::eventually([&] { return listener.calls.load() >= i + 1; }));
    }
    EXPECT_EQ(listener.calls.load(), 20);  // one wake-up per put
    EXPECT_EQ(listener.before_completion.load(), 0);
    EXPECT_EQ(drain(**reader).size(), 20u);
  }
}

TEST_F(StreamReaderTest, ReadsChildrenOnlyAfterTheirParents) {
  counting_listener listener;
  auto reader = stream_reader::open(
      *engine_, {.stream = "s", .start = {.type = iterator_type::trim_horizon}}, &listener);
  ASSERT_TRUE(reader);
  put("a", "p1");
  ASSERT_TRUE(engine_->split_shard("s", 0, uint128(1) << 127));  // children 1 and 2
  for (int i = 0; i < 20; ++i) put(fmt::format("key{}", i), fmt::format("c{}", i));
  ASSERT_TRUE(engine_->merge_shards("s", 1, 2));  // child 3
  put("a", "m1");

  std::vector<std::string> ended;
  const auto records = drain(**reader, &ended);
  ASSERT_EQ(records.size(), 22u);
  EXPECT_EQ(records.front(), "0:p1");
  EXPECT_EQ(records.back(), "3:m1");
  EXPECT_EQ(ended.front(), "0");
  EXPECT_EQ(
      std::count(ended.begin(), ended.end(), "1") + std::count(ended.begin(), ended.end(), "2"), 2);
}

TEST_F(StreamReaderTest, OneShardReaderEndsAtTheEndOfItsClosedShard) {
  counting_listener listener;
  put("k", "x");
  auto reader = stream_reader::open(
      *engine_, {.stream = "s", .shard = 0, .start = {.type = iterator_type::trim_horizon}},
      &listener);
  ASSERT_TRUE(reader);
  ASSERT_TRUE(engine_->split_shard("s", 0, uint128(1) << 127));
  auto page = (*reader)->read();
  ASSERT_TRUE(page && *page);
  EXPECT_EQ((*page)->batch.records.size(), 1u);
  EXPECT_TRUE((*page)->end_of_shard);
  EXPECT_EQ((*page)->children.size(), 2u);
  EXPECT_TRUE((*reader)->finished());
  auto after = (*reader)->read();
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

// Two subscribers of a shard: the second takes the page the first read instead of reading it,
// goes on after it, and the records it took count in the shard's metrics.
TEST_F(StreamReaderTest, SkipGoesPastAPageAnotherReaderRead) {
  ASSERT_TRUE(engine_->change_enhanced_monitoring("s", {"OutgoingRecords"}, true));
  counting_listener listener;
  const reader_options from_start{.stream = "s", .start = {.type = iterator_type::trim_horizon}};
  auto first = stream_reader::open(*engine_, from_start, &listener);
  auto second = stream_reader::open(*engine_, from_start, &listener);
  ASSERT_TRUE(first && second);
  put("k", "one");
  put("k", "two");
  // Each put wakes both readers after it is acknowledged; a wake-up still on its way would
  // count as a change after the first reader's read.
  ASSERT_TRUE(testutil::eventually([&] { return listener.calls.load() >= 4; }));

  const auto at = (*second)->next_read();
  ASSERT_TRUE(at);
  EXPECT_EQ(at->shard, 0u);
  EXPECT_EQ(at->from, 0u);
  auto page = (*first)->read();
  ASSERT_TRUE(page && *page);
  ASSERT_EQ((*page)->batch.records.size(), 2u);
  EXPECT_TRUE((*page)->at_end);
  EXPECT_FALSE((*first)->next_read()) << "it read to the end: nothing to read until a commit";
  put("k", "three");  // committed after the first reader's page
  ASSERT_TRUE(testutil::eventually([&] { return listener.calls.load() >= 6; }));

  (*second)->skip({.shard = 0, .from = 5}, 99, 0, 0, false);  // not where it stands: ignored
  (*second)->skip(*at, (*page)->batch.next, 2, (*page)->batch.bytes, (*page)->at_end);
  EXPECT_EQ(drain(**second), std::vector<std::string>{"0:three"});
  EXPECT_FALSE((*second)->next_read()) << "nothing new since its last read";

  std::vector<shard_metrics_sample> samples;
  engine_->enhanced_metrics(samples);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].values[static_cast<std::size_t>(shard_metric::outgoing_records)], 2u + 2 + 1)
      << "the first reader's two, the two the second took, and the one it read";
}

// Where the reader goes on in a shard: what a push source compares a wake-up's end with.
TEST_F(StreamReaderTest, ReadingAtFollowsWhatReadReturned) {
  counting_listener listener;
  auto reader = stream_reader::open(*engine_, {.stream = "s"}, &listener);
  ASSERT_TRUE(reader);
  stream_reader& r = **reader;
  const auto start = r.reading_at(0);
  ASSERT_TRUE(start.has_value());
  put("k", "one");
  put("k", "two");
  EXPECT_EQ(r.reading_at(0), start) << "nothing read yet";
  EXPECT_EQ(drain(r), (std::vector<std::string>{"0:one", "0:two"}));
  const auto after = r.reading_at(0);
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(*after, *start);
  EXPECT_FALSE(r.reading_at(7).has_value()) << "a shard the reader does not have";

  ASSERT_TRUE(engine_->split_shard("s", 0, uint128(1) << 127));
  drain(r);  // the parent, read to its end, is done
  EXPECT_FALSE(r.reading_at(0).has_value());
  EXPECT_TRUE(r.reading_at(1).has_value()) << "a child it reads now";
}

TEST_F(StreamReaderTest, UnknownShardFailsAsGetShardIteratorDoes) {
  counting_listener listener;
  auto reader = stream_reader::open(*engine_, {.stream = "s", .shard = 7}, &listener);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().kind, failure_kind::resource_not_found);
  EXPECT_FALSE(stream_reader::open(*engine_, {.stream = "nope"}, &listener));
}

}  // namespace
}  // namespace spate::engine

namespace spate::engine {
namespace {

TEST_F(StreamReaderTest, AtTimestampAppliesToChildrenToo) {
  ASSERT_TRUE(engine_->split_shard("s", 0, uint128(1) << 127));
  put("a", "old");  // in a child, before the time asked for
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::int64_t from = now_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  put("a", "new");
  counting_listener listener;
  auto reader = stream_reader::open(
      *engine_,
      {.stream = "s", .start = {.type = iterator_type::at_timestamp, .timestamp_ms = from}},
      &listener);
  ASSERT_TRUE(reader);
  const auto records = drain(**reader);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].ends_with(":new"));
}

}  // namespace
}  // namespace spate::engine
