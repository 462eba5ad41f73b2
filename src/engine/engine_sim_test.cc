// The engine on the in-memory file system and a manual clock: the shard logs live in a
// mem_file_system whose faults (a failed sync, a full disk, a crash image with a torn tail) the
// tests inject, and time moves only when a test advances it - delayed states, retention and
// iterator expiry are checked without sleeping. The catalog (SQLite) and server key stay in a
// temporary directory: they are not written through the file_system interface.
#include "engine/engine.h"
#include "storage/mem_file.h"
#include "testutil/manual_clock.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <vector>

namespace spate::engine {
namespace {

using metadata::stream_mode;
using metadata::stream_status;

class EngineSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_.path();
    options_.fsync = storage::fsync_policy::batch;
    options_.time = &clock_;
    open();
  }

  void open() {
    engine_.reset();
    options_.file_system = fs_.get();
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
  }

  // The engine restarted on what a crash at this instant leaves (power loss or kill -9),
  // after `damage` had its way with the image.
  void crash_and_reopen(bool power_loss,
                        const std::function<void(storage::mem_file_system&)>& damage = {}) {
    auto image = fs_->crash_image(power_loss);
    fs_->clear_faults();  // the old engine's close must not wait on a held sync
    engine_->close();
    engine_.reset();
    fs_ = std::move(image);
    if (damage) damage(*fs_);
    open();
  }

  void create(const std::string& name, std::uint32_t shards = 1) {
    auto created = engine_->create_stream(name, shards, stream_mode::provisioned, {});
    ASSERT_TRUE(created) << created.error().message;
    engine_->run_due_work();
  }

  // Puts one record and waits for its result (durable, or failed).
  put_result put(const std::string& stream, const std::string& data) {
    storage::record_input record{"key", std::nullopt, data};
    std::promise<put_result> done;
    auto r = engine_->put(
        stream, std::span(&record, 1),
        [&](std::vector<put_result>& results, std::uint32_t) { done.set_value(results.front()); });
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {0, 0, r.error()};
    return done.get_future().get();
  }

  std::vector<std::string> read_all(const std::string& stream) {
    auto it = engine_->get_shard_iterator({stream, 0, iterator_type::trim_horizon, {}, 0});
    EXPECT_TRUE(it) << it.error().message;
    if (!it) return {};
    auto page = engine_->get_records(*it, 10'000);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<std::string> out;
    if (page) {
      for (const auto& r : page->batch.records) out.emplace_back(r.data);
    }
    return out;
  }

  stream_status status(const std::string& stream) {
    return engine_->describe(stream)->stream.status;
  }

  // The path of the one segment file of shard 0 of `stream` in `fs`.
  std::string segment_path(storage::mem_file_system& fs, const std::string& stream) {
    const std::string streams = dir_.path() + "/streams";
    for (const auto& dir : *fs.list(streams)) {
      if (dir.rfind(stream + "-", 0) != 0) continue;
      const std::string shard = streams + "/" + dir + "/shardId-000000000000";
      for (const auto& file : *fs.list(shard)) {
        if (file.find(".index") == std::string::npos) return shard + "/" + file;
      }
    }
    ADD_FAILURE() << "no segment of " << stream;
    return {};
  }

  testutil::temp_dir dir_;
  testutil::manual_clock clock_;
  std::unique_ptr<storage::mem_file_system> fs_ = std::make_unique<storage::mem_file_system>();
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

// ---- time -----------------------------------------------------------------------------------

TEST_F(EngineSimTest, DelayedStatesChangeWhenTheClockSaysSo) {
  options_.create_stream_ms = 5000;
  options_.update_stream_ms = 2000;
  options_.delete_stream_ms = 3000;
  open();
  ASSERT_TRUE(engine_->create_stream("s", 1, stream_mode::provisioned, {}));
  EXPECT_EQ(status("s"), stream_status::creating);
  clock_.advance(4999);
  engine_->run_due_work();
  EXPECT_EQ(status("s"), stream_status::creating);
  clock_.advance(1);
  engine_->run_due_work();
  EXPECT_EQ(status("s"), stream_status::active);

  ASSERT_TRUE(engine_->update_shard_count("s", 2));
  EXPECT_EQ(status("s"), stream_status::updating);
  clock_.advance(1999);
  engine_->run_due_work();
  EXPECT_EQ(status("s"), stream_status::updating);
  clock_.advance(1);
  engine_->run_due_work();
  EXPECT_EQ(status("s"), stream_status::active);

  ASSERT_TRUE(engine_->delete_stream("s"));
  EXPECT_EQ(status("s"), stream_status::deleting);
  clock_.advance(3000);
  engine_->run_due_work();
  auto gone = engine_->describe("s");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, failure_kind::resource_not_found);
}

TEST_F(EngineSimTest, TimestampsComeFromTheClock) {
  create("s");
  EXPECT_EQ(engine_->describe("s")->stream.created_ms, clock_.wall_ms());
  clock_.advance(1234);
  const auto stored = put("s", "x");
  ASSERT_FALSE(stored.error) << stored.error->message;
  auto page = engine_->read({"s", engine_->describe("s")->stream.created_ms, 0, 0});
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->batch.records.size(), 1u);
  EXPECT_EQ(page->batch.records[0].arrival_ms, clock_.wall_ms());
}

TEST_F(EngineSimTest, ConsumersBecomeActiveAndGoAwayOnTheClock) {
  options_.consumer_ms = 500;
  open();
  create("s");
  auto registered = engine_->register_consumer("s", "app");
  ASSERT_TRUE(registered) << registered.error().message;
  EXPECT_EQ(registered->status, metadata::consumer_status::creating);
  const consumer_key key{"s", "app", std::nullopt};
  clock_.advance(499);
  engine_->run_due_work();
  EXPECT_EQ(engine_->describe_consumer(key)->status, metadata::consumer_status::creating);
  clock_.advance(1);
  engine_->run_due_work();
  EXPECT_EQ(engine_->describe_consumer(key)->status, metadata::consumer_status::active);
  ASSERT_TRUE(engine_->deregister_consumer(key));
  EXPECT_EQ(engine_->describe_consumer(key)->status, metadata::consumer_status::deleting);
  clock_.advance(500);
  engine_->run_due_work();
  EXPECT_FALSE(engine_->describe_consumer(key));
}

TEST_F(EngineSimTest, IteratorsExpireAfterTheirLifetime) {
  options_.iterator_ttl_ms = 300'000;
  open();
  create("s");
  ASSERT_FALSE(put("s", "x").error);
  auto it = engine_->get_shard_iterator({"s", 0, iterator_type::trim_horizon, {}, 0});
  ASSERT_TRUE(it);
  clock_.advance(300'000);
  auto fresh = engine_->get_records(*it, 10);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(fresh->batch.records.size(), 1u);
  clock_.advance(1);
  auto expired = engine_->get_records(*it, 10);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind, failure_kind::expired_iterator);
}

TEST_F(EngineSimTest, RetentionRemovesSegmentsOlderThanThePeriod) {
  options_.retention_hour_ms = 1000;  // a stream's 24 hours are 24 s of the manual clock
  options_.retention_check_ms = 1000;
  options_.segment_size = 4096;  // one 3000-byte record per segment
  open();
  create("s");
  const std::string big(3000, 'a');
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(put("s", big + std::to_string(i)).error);
  clock_.advance(12'000);
  ASSERT_FALSE(put("s", big + "young").error);
  clock_.advance(11'999);  // the first three are 23.999 s old
  engine_->run_due_work();
  EXPECT_EQ(read_all("s").size(), 4u);
  clock_.advance(1000);  // 24.999 s, and retention's next period has come
  engine_->run_due_work();
  EXPECT_EQ(read_all("s"), std::vector<std::string>{big + "young"});
  clock_.advance(12'000);
  engine_->run_due_work();
  EXPECT_TRUE(read_all("s").empty());
}

// ---- faults ---------------------------------------------------------------------------------

TEST_F(EngineSimTest, AFailedSyncAcknowledgesNothingUntilARestartRecovers) {
  create("s");
  ASSERT_FALSE(put("s", "kept").error);
  fs_->fail_syncs(true);
  const auto failed = put("s", "unsynced");
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->kind, failure_kind::internal);
  fs_->fail_syncs(false);
  // A log whose sync failed takes no more records: what reached the disk is unknown.
  const auto refused = put("s", "after");
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(read_all("s"), std::vector<std::string>{"kept"});

  crash_and_reopen(/*power_loss=*/false);
  const auto again = put("s", "after restart");
  ASSERT_FALSE(again.error) << again.error->message;
  const auto records = read_all("s");
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.front(), "kept");
  EXPECT_EQ(records.back(), "after restart");
}

TEST_F(EngineSimTest, AFullDiskRefusesThePutAndLeavesNoPartialRecord) {
  create("s");
  ASSERT_FALSE(put("s", "first").error);
  fs_->fail_appends_after(10);  // the next record's frame lands only in part
  const auto full = put("s", std::string(100, 'x'));
  ASSERT_TRUE(full.error);
  EXPECT_EQ(full.error->kind, failure_kind::internal);
  fs_->clear_faults();
  ASSERT_FALSE(put("s", "second").error);
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"first", "second"}));

  crash_and_reopen(/*power_loss=*/true);
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"first", "second"}));
}

TEST_F(EngineSimTest, ATornTailAfterPowerLossIsCutAndItsPositionReused) {
  create("s");
  const auto acked = put("s", "acknowledged");
  ASSERT_FALSE(acked.error);
  fs_->hold_syncs();  // the next record reaches the file but never its commit point
  storage::record_input record{"key", std::nullopt, "in flight"};
  std::atomic<bool> acknowledged{false};
  ASSERT_TRUE(engine_->put("s", std::span(&record, 1),
                           [&](std::vector<put_result>&, std::uint32_t) { acknowledged = true; }));
  EXPECT_FALSE(acknowledged);
  crash_and_reopen(/*power_loss=*/false, [&](storage::mem_file_system& image) {
    // A torn write: the in-flight frame's last bytes never reached the platter.
    const std::string path = segment_path(image, "s");
    std::string bytes = image.contents(path);
    bytes.resize(bytes.size() - 3);
    image.set_contents(path, bytes);
  });
  EXPECT_EQ(read_all("s"), std::vector<std::string>{"acknowledged"});
  const auto next = put("s", "next");
  ASSERT_FALSE(next.error) << next.error->message;
  EXPECT_EQ(next.pos, acked.pos + 1);
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"acknowledged", "next"}));
}

}  // namespace
}  // namespace spate::engine
