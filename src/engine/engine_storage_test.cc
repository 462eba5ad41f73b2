// engine_storage_test: what readers and writers see when the disk is slow or fails, on a real
// engine whose shard logs live in the in-memory file system, which injects the faults
// (storage/mem_file.h); the catalog stays on disk.
// - The commit point: under --fsync batch no reader (GetRecords, and the stream_reader behind
//   SubscribeToShard and the WebSocket feed) sees a record before the sync covering it ends,
//   and the put is acknowledged only then.
// - EIO on fsync: the put fails with an internal failure, its records are never served, the
//   shard refuses further appends (the kernel may have dropped the pages), other streams go on,
//   and a restart serves every acknowledged record and takes writes again.
// - ENOSPC on write (a torn write: a prefix lands first): the put fails, the log is cut back,
//   and the next put succeeds at the next position.
#include "engine/engine.h"
#include "engine/stream_reader.h"
#include "storage/mem_file.h"
#include "testutil/counting_listener.h"
#include "testutil/eventually.h"
#include "testutil/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {
namespace {

using namespace std::chrono_literals;

using testutil::counting_listener;

class EngineStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    fs_.clear_faults();  // a held sync must not keep the engine's committer from closing
    engine_.reset();
  }

  void open() {
    engine_.reset();
    options_.data_dir = dir_.path();
    options_.fsync = storage::fsync_policy::batch;
    options_.file_system = &fs_;
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
  }

  // Starts a put of `data` and returns the future of its one result.
  std::future<put_result> put_async(const std::string& stream, const std::string& data) {
    auto done = std::make_shared<std::promise<put_result>>();
    auto future = done->get_future();
    storage::record_input record{"key", std::nullopt, data};
    auto r = engine_->put(stream, std::span(&record, 1),
                          [done](std::vector<put_result>& results, std::uint32_t) {
                            done->set_value(results.front());
                          });
    EXPECT_TRUE(r) << r.error().message;
    return future;
  }
  put_result put(const std::string& stream, const std::string& data) {
    return put_async(stream, data).get();
  }

  // The data of every record GetRecords returns from TRIM_HORIZON of shard 0 now.
  std::vector<std::string> read_all(const std::string& stream) {
    auto it = engine_->get_shard_iterator({stream, 0, iterator_type::trim_horizon, {}, 0});
    EXPECT_TRUE(it);
    if (!it) return {};
    auto page = engine_->get_records(*it, 10000);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<std::string> out;
    if (page) {
      for (const auto& r : page->batch.records) out.emplace_back(r.data);
    }
    return out;
  }

  // `r` failed as an I/O failure does: an internal failure whose message contains `says`.
  static void expect_internal(const put_result& r, std::string_view says = {}) {
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->kind, failure_kind::internal);
    EXPECT_NE(r.error->message.find(says), std::string::npos) << r.error->message;
  }

  static std::vector<std::string> drain(stream_reader& reader) {
    std::vector<std::string> out;
    for (;;) {
      auto page = reader.read();
      EXPECT_TRUE(page);
      if (!page || !*page) return out;
      for (const auto& r : (*page)->batch.records) out.emplace_back(r.data);
    }
  }

  // Waits (a generous 20 s bound; it takes microseconds) until a sync is held.
  void wait_for_held_sync() {
    ASSERT_TRUE(testutil::eventually([&] { return fs_.syncs_waiting() > 0; }, 20s))
        << "no sync was ever started";
  }

  testutil::temp_dir dir_;
  storage::mem_file_system fs_;
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

TEST_F(EngineStorageTest, NoReaderSeesARecordBeforeItsSyncEnds) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  counting_listener shard_listener, stream_listener;
  auto shard_reader = stream_reader::open(*engine_, {.stream = "s", .shard = 0}, &shard_listener);
  auto stream_reader = stream_reader::open(*engine_, {.stream = "s"}, &stream_listener);
  ASSERT_TRUE(shard_reader && stream_reader);
  EXPECT_TRUE(drain(**shard_reader).empty());  // at the end: each reader now waits for a wake-up
  EXPECT_TRUE(drain(**stream_reader).empty());
  put("s", "synced");
  // The wake-ups come after the acknowledgement; once both are in, no more are on the way.
  ASSERT_TRUE(testutil::eventually([&] {
    return shard_listener.calls.load() >= 1 && stream_listener.calls.load() >= 1;
  }));
  EXPECT_EQ(drain(**shard_reader), std::vector<std::string>{"synced"});
  EXPECT_EQ(drain(**stream_reader), std::vector<std::string>{"synced"});
  const int shard_woken = shard_listener.calls.load(), stream_woken = stream_listener.calls.load();

  fs_.hold_syncs();
  auto pending = put_async("s", "held");
  wait_for_held_sync();  // appended to the file, its sync waiting
  EXPECT_EQ(pending.wait_for(0ms), std::future_status::timeout) << "acknowledged before its sync";
  EXPECT_EQ(read_all("s"), std::vector<std::string>{"synced"});
  EXPECT_TRUE(drain(**shard_reader).empty());
  EXPECT_TRUE(drain(**stream_reader).empty());
  EXPECT_EQ(shard_listener.calls.load(), shard_woken) << "woken before the sync ended";
  EXPECT_EQ(stream_listener.calls.load(), stream_woken) << "woken before the sync ended";
  auto latest = engine_->get_shard_iterator({"s", 0, iterator_type::latest, {}, 0});
  ASSERT_TRUE(latest);

  fs_.release_syncs();
  const put_result acked = pending.get();
  ASSERT_FALSE(acked.error) << acked.error->message;
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"synced", "held"}));
  // A reader that found the end waits for its wake-up, which follows the acknowledgement.
  ASSERT_TRUE(testutil::eventually([&] {
    return shard_listener.calls.load() > shard_woken && stream_listener.calls.load() > stream_woken;
  }));
  EXPECT_EQ(drain(**shard_reader), std::vector<std::string>{"held"});
  EXPECT_EQ(drain(**stream_reader), std::vector<std::string>{"held"});
  // LATEST taken while the record was not committed comes before it.
  auto page = engine_->get_records(*latest, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->batch.records.size(), 1u);
  EXPECT_EQ(page->batch.records[0].data, "held");
}

TEST_F(EngineStorageTest, AFailedSyncFailsThePutAndNothingUnacknowledgedIsServed) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  ASSERT_TRUE(engine_->create_stream("other", 1, metadata::stream_mode::provisioned, {}));
  put("s", "before");
  put("other", "before");

  fs_.fail_syncs(true);
  expect_internal(put("s", "lost"), "syncing shardId-000000000000");
  fs_.fail_syncs(false);
  EXPECT_EQ(read_all("s"), std::vector<std::string>{"before"});
  // The kernel may have dropped the pages a failed fdatasync covered: no later sync of this log
  // can prove anything, so it takes no more writes until it is reopened.
  expect_internal(put("s", "after"));
  EXPECT_EQ(read_all("s"), std::vector<std::string>{"before"});
  // Other streams are not affected.
  EXPECT_FALSE(put("other", "after").error);
  EXPECT_EQ(read_all("other"), (std::vector<std::string>{"before", "after"}));

  engine_->close();
  open();
  const auto recovered = read_all("s");
  ASSERT_FALSE(recovered.empty());
  EXPECT_EQ(recovered.front(), "before") << "an acknowledged record was lost";
  const put_result again = put("s", "after restart");
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_EQ(read_all("s").back(), "after restart");
}

TEST_F(EngineStorageTest, AFailedWriteFailsThePutAndTheNextOneSucceeds) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  const put_result first = put("s", "one");
  fs_.fail_appends_after(10);  // the next append writes 10 bytes, then fails with ENOSPC
  expect_internal(put("s", "no room"), "No space left on device");
  fs_.clear_faults();
  const put_result next = put("s", "two");
  ASSERT_FALSE(next.error) << next.error->message;
  EXPECT_EQ(next.pos, first.pos + 1) << "the failed write left a hole";
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"one", "two"}));
  engine_->close();
  open();
  EXPECT_EQ(read_all("s"), (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace spate::engine
