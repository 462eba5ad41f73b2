// websocket_feed on a real engine, pulled by hand as the server's session pulls it: a
// whole-stream subscription puts on each shard's message the time of that shard's own wake-up
// (spate_push_delay_seconds).
#include "api/websocket_feed.h"

#include "testutil/eventually.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>
#include <set>

namespace spate::api {
namespace {

struct no_traffic final : traffic_observer {
  void records_in(std::string_view, std::uint64_t, std::uint64_t) override {}
  void records_out(std::string_view, std::uint64_t, std::uint64_t) override {}
};

class WebsocketFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.path();
    auto e = engine::engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
    ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
    ctx_.emplace(action_context{.engine = *engine_, .traffic = traffic_});
    auto feed = websocket_feed::open(*ctx_, "/v1/subscribe?stream=s");
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<websocket_feed>>(feed));
    feed_ = std::get<std::shared_ptr<websocket_feed>>(std::move(feed));
    feed_->set_waker([this] { wakes_.fetch_add(1); });
  }

  // One put of a record to each shard (shard 0 holds the lower half of the hash keys); returns
  // once both shards' wake-ups have reached the feed, as they have when the server pulls.
  void put_to_both_shards() {
    const int before = wakes_.load();
    const std::array<storage::record_input, 2> records{
        storage::record_input{"k", uint128(0), "to-0"},
        storage::record_input{"k", uint128(1) << 127, "to-1"}};
    std::promise<void> done;
    ASSERT_TRUE(engine_->put(
        "s", records, [&](std::vector<engine::put_result>&, std::uint32_t) { done.set_value(); }));
    done.get_future().get();
    ASSERT_TRUE(testutil::eventually([&] { return wakes_.load() >= before + 2; }));
  }

  testutil::temp_dir dir_;
  engine::engine_options options_;
  std::unique_ptr<engine::engine> engine_;
  no_traffic traffic_;
  std::optional<action_context> ctx_;  // once the engine is open
  std::shared_ptr<websocket_feed> feed_;
  std::atomic<int> wakes_{0};
};

TEST_F(WebsocketFeedTest, EachShardsMessageCarriesItsOwnWakeUp) {
  const auto before = std::chrono::steady_clock::now();
  put_to_both_shards();
  const auto after = std::chrono::steady_clock::now();

  std::set<std::string> shards;
  for (int i = 0; i < 2; ++i) {
    pushed_message message;
    ASSERT_EQ(feed_->pull(message), push_source::status::message) << i;
    const auto [head, shared, tail] = message.parts();
    const std::string text = std::string(head) + std::string(shared) + std::string(tail);
    shards.insert(text.substr(0, text.find("\",\"records\"")));
    ASSERT_TRUE(message.woken_at.has_value()) << "message " << i << ": " << text;
    EXPECT_GE(*message.woken_at, before);
    EXPECT_LE(*message.woken_at, after);
  }
  EXPECT_EQ(shards.size(), 2u) << "one message per shard";
  pushed_message none;
  EXPECT_EQ(feed_->pull(none), push_source::status::idle);
}

}  // namespace
}  // namespace spate::api
