// The fault model of the in-memory file system: what a crash keeps, torn and failed writes.
#include "storage/mem_file.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

class MemFileFaults : public testing::Test {
 protected:
  MemFileFaults() { EXPECT_TRUE(fs_.create_dirs("/d")); }
  mem_file_system fs_;
};

TEST_F(MemFileFaults, CrashKeepsOnlySyncedBytes) {
  auto f = *fs_.open("/d/f", open_mode::create_new);
  ASSERT_TRUE(f->append("synced"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs_.sync_dir("/d"));
  ASSERT_TRUE(f->append(" lost"));
  fs_.simulate_crash();
  EXPECT_EQ(fs_.contents("/d/f"), "synced");
}

TEST_F(MemFileFaults, CrashForgetsFilesWhoseDirectoryWasNotSynced) {
  auto f = *fs_.open("/d/new", open_mode::create_new);
  ASSERT_TRUE(f->append("data"));
  ASSERT_TRUE(f->sync());  // the bytes are durable, the name is not
  fs_.simulate_crash();
  EXPECT_FALSE(fs_.exists("/d/new"));
}

TEST_F(MemFileFaults, CrashBringsBackUnsyncedRemovals) {
  auto f = *fs_.open("/d/f", open_mode::create_new);
  ASSERT_TRUE(f->append("data"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs_.sync_dir("/d"));
  ASSERT_TRUE(fs_.remove("/d/f"));
  fs_.simulate_crash();
  EXPECT_EQ(fs_.contents("/d/f"), "data");
}

TEST_F(MemFileFaults, CrashImageLeavesTheOriginalRunning) {
  auto f = *fs_.open("/d/f", open_mode::create_new);
  ASSERT_TRUE(f->append("abc"));
  ASSERT_TRUE(f->sync());
  ASSERT_TRUE(fs_.sync_dir("/d"));
  ASSERT_TRUE(f->append("def"));
  auto power = fs_.crash_image(true);
  auto process = fs_.crash_image(false);
  EXPECT_EQ(power->contents("/d/f"), "abc");
  EXPECT_EQ(process->contents("/d/f"), "abcdef");
  ASSERT_TRUE(f->append("ghi"));
  EXPECT_EQ(fs_.contents("/d/f"), "abcdefghi");
  EXPECT_EQ(power->contents("/d/f"), "abc");
}

TEST_F(MemFileFaults, AppendPastBudgetTearsAndFails) {
  auto f = *fs_.open("/d/f", open_mode::create_new);
  fs_.fail_appends_after(5);
  ASSERT_TRUE(f->append("abc"));
  auto torn = f->append("defgh");
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error(), std::error_condition(std::errc::no_space_on_device));
  EXPECT_EQ(fs_.contents("/d/f"), "abcde");
  fs_.clear_faults();
  EXPECT_TRUE(f->append("!"));
}

TEST_F(MemFileFaults, FailedSyncReportsEio) {
  auto f = *fs_.open("/d/f", open_mode::create_new);
  fs_.fail_syncs(true);
  EXPECT_EQ(f->sync().error(), std::error_condition(std::errc::io_error));
  EXPECT_FALSE(fs_.sync_dir("/d"));
  fs_.fail_syncs(false);
  EXPECT_TRUE(f->sync());
}

}  // namespace
}  // namespace spate::storage
