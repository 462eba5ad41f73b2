// engine_faults_test: stream creation and resharding are all-or-nothing. A failure at any step
// (a shard log that cannot be created, a catalog that refuses the change) leaves no stream, no
// shard and no file behind, the name stays free, and a restart finds exactly what was there.
#include "engine/engine.h"
#include "storage/posix_file.h"
#include "testutil/faulty_file_system.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace spate::engine {
namespace {

namespace fs = std::filesystem;

class EngineFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    engine_.reset();
    options_.data_dir = dir_.path();
    options_.file_system = &faulty_;
    options_.catalog_faults = [this](std::string_view step) {
      return !fail_catalog_at_.empty() && step == fail_catalog_at_;
    };
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
  }

  // The stream directories on disk (names only).
  std::vector<std::string> stream_dirs() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_.path() + "/streams")) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }
  std::size_t shard_dirs(const std::string& stream) const {
    for (const auto& entry : fs::directory_iterator(dir_.path() + "/streams")) {
      if (entry.path().filename().string().starts_with(stream + "-")) {
        return static_cast<std::size_t>(
            std::distance(fs::directory_iterator(entry.path()), fs::directory_iterator()));
      }
    }
    return 0;
  }

  testutil::temp_dir dir_;
  storage::posix_file_system posix_;
  testutil::faulty_file_system faulty_{posix_};
  std::string fail_catalog_at_;
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

TEST_F(EngineFaultsTest, AShardLogThatCannotBeCreatedLeavesNoStream) {
  for (int failing = 1; failing <= 3; ++failing) {  // the first, a middle and the last shard
    SCOPED_TRACE(failing);
    faulty_.fail_create(failing);
    auto made = engine_->create_stream("s", 3, metadata::stream_mode::provisioned, {});
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().kind, failure_kind::internal);
    faulty_.clear();
    EXPECT_FALSE(engine_->describe("s"));
    EXPECT_TRUE(engine_->list_streams().empty());
    EXPECT_TRUE(stream_dirs().empty());
    EXPECT_EQ(engine_->open_shard_count(), 0u);
  }
  // The name is free: the same call now succeeds.
  ASSERT_TRUE(engine_->create_stream("s", 3, metadata::stream_mode::provisioned, {}));
  EXPECT_EQ(engine_->describe("s")->shards.size(), 3u);
}

TEST_F(EngineFaultsTest, ADirectoryThatCannotBeCreatedLeavesNoStream) {
  faulty_.fail_create_dirs(1, EMFILE);
  ASSERT_FALSE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
  faulty_.clear();
  EXPECT_FALSE(engine_->describe("s"));
  EXPECT_TRUE(stream_dirs().empty());
  ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
}

TEST_F(EngineFaultsTest, ACatalogThatRefusesTheStreamLeavesNoLogsAndNothingAfterRestart) {
  for (const char* step : {"stream inserted", "shard inserted", "before commit"}) {
    SCOPED_TRACE(step);
    fail_catalog_at_ = step;
    ASSERT_FALSE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
    fail_catalog_at_.clear();
    EXPECT_FALSE(engine_->describe("s"));
    EXPECT_TRUE(stream_dirs().empty()) << "shard logs left behind";
    // Describable? No. Deletable? There is nothing to delete. Retrying? It works.
    EXPECT_EQ(engine_->delete_stream("s").error().kind, failure_kind::resource_not_found);
  }
  open();  // a restart finds no stream either
  EXPECT_TRUE(engine_->list_streams().empty());
  ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
  open();
  ASSERT_TRUE(engine_->describe("s"));
  EXPECT_EQ(engine_->describe("s")->stream.status, metadata::stream_status::active);
}

TEST_F(EngineFaultsTest, AFailedReshardKeepsTheOldTopologyAndNoChildLogs) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  const auto before = engine_->describe("s")->shards;
  ASSERT_EQ(shard_dirs("s"), 1u);

  faulty_.fail_create(2);  // the second child's log
  ASSERT_FALSE(engine_->update_shard_count("s", 2));
  faulty_.clear();
  fail_catalog_at_ = "shard closed";
  ASSERT_FALSE(engine_->update_shard_count("s", 2));
  fail_catalog_at_ = "before commit";
  ASSERT_FALSE(engine_->split_shard("s", 0, uint128{1} << 127));
  fail_catalog_at_.clear();

  EXPECT_EQ(engine_->describe("s")->shards, before);
  EXPECT_EQ(engine_->open_shard_count(), 1u);
  EXPECT_EQ(shard_dirs("s"), 1u) << "children's logs left behind";
  open();
  EXPECT_EQ(engine_->describe("s")->shards, before);
  // And the reshard goes through once the faults are gone.
  ASSERT_TRUE(engine_->update_shard_count("s", 2));
  EXPECT_EQ(engine_->open_shard_count(), 2u);
  EXPECT_EQ(shard_dirs("s"), 3u);
}

TEST_F(EngineFaultsTest, RestartRemovesLogsACrashLeftWithoutCatalogRows) {
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  engine_.reset();
  // What a crash between the logs and the catalog commit leaves: a stream directory and a
  // shard directory the catalog never heard of.
  const auto known = stream_dirs().front();
  fs::create_directories(dir_.path() + "/streams/ghost-123/shardId-000000000000");
  fs::create_directories(dir_.path() + "/streams/" + known + "/shardId-000000000007");
  open();
  EXPECT_EQ(stream_dirs(), std::vector<std::string>{known});
  EXPECT_EQ(shard_dirs("s"), 1u);
}

}  // namespace
}  // namespace spate::engine
