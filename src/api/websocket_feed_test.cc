// websocket_feed on a real engine, pulled by hand as the server's session pulls it: a
// whole-stream subscription puts on each shard's message the time of that shard's own wake-up
// (spate_push_delay_seconds).
#include "api/websocket_feed.h"

#include "testutil/eventually.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <future>
#include <map>
#include <optional>

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

  // Puts one record to `shard` (shard 0 holds the lower half of the hash keys); returns once
  // its wake-up has reached the feed, as it has when the server pulls.
  void put_to(int shard) {
    const int before = wakes_.load();
    const storage::record_input record{"k", uint128(shard) << 127, "r"};
    std::promise<void> done;
    ASSERT_TRUE(
        engine_->put("s", std::span(&record, 1),
                     [&](std::vector<engine::put_result>&, std::uint32_t) { done.set_value(); }));
    done.get_future().get();
    ASSERT_TRUE(testutil::eventually([&] { return wakes_.load() > before; }));
  }

  // The shard a message is of ("shardId-000000000001" gives 1), from its text.
  static int shard_of(const pushed_message& message) {
    const auto [head, shared, tail] = message.parts();
    const std::string text = std::string(head) + std::string(shared) + std::string(tail);
    const auto id = text.find("shardId-");
    return id == std::string::npos ? -1 : std::stoi(text.substr(id + 8, 12));
  }

  testutil::temp_dir dir_;
  engine::engine_options options_;
  std::unique_ptr<engine::engine> engine_;
  no_traffic traffic_;
  std::optional<action_context> ctx_;  // once the engine is open
  std::atomic<int> wakes_{0};          // before feed_: its waker counts here until it is gone
  std::shared_ptr<websocket_feed> feed_;
};

TEST_F(WebsocketFeedTest, EachShardsMessageCarriesItsOwnWakeUp) {
  const auto before = std::chrono::steady_clock::now();
  put_to(0);
  const auto between = std::chrono::steady_clock::now();
  put_to(1);
  const auto after = std::chrono::steady_clock::now();

  std::map<int, std::chrono::steady_clock::time_point> woken;  // by shard
  for (int i = 0; i < 2; ++i) {
    pushed_message message;
    ASSERT_EQ(feed_->pull(message), push_source::status::message) << i;
    ASSERT_TRUE(message.woken_at.has_value())
        << "message " << i << " of shard " << shard_of(message);
    woken[shard_of(message)] = *message.woken_at;
  }
  ASSERT_EQ(woken.size(), 2u) << "one message per shard";
  EXPECT_GE(woken[0], before);
  EXPECT_LT(woken[0], between) << "shard 0's page, dated by shard 0's wake-up";
  EXPECT_GE(woken[1], between) << "shard 1's page, dated by shard 1's wake-up";
  EXPECT_LE(woken[1], after);
  pushed_message none;
  EXPECT_EQ(feed_->pull(none), push_source::status::idle);
}

}  // namespace
}  // namespace spate::api
