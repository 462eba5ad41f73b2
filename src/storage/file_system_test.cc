// The contract every file_system implementation keeps, run against POSIX files and memory.
#include "storage/file.h"
#include "storage/mem_file.h"
#include "storage/posix_file.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace spate::storage {
namespace {

template <class FS>
class FileSystemContract : public testing::Test {
 protected:
  FileSystemContract() { EXPECT_TRUE(fs_.create_dirs(root_ + "/a/b")); }
  std::string path(const std::string& name) { return root_ + "/" + name; }

  testutil::temp_dir dir_;
  std::string root_ = dir_.path();
  FS fs_;
};

using implementations = testing::Types<posix_file_system, mem_file_system>;
TYPED_TEST_SUITE(FileSystemContract, implementations);

TYPED_TEST(FileSystemContract, AppendThenReadAt) {
  auto f = this->fs_.open(this->path("f"), open_mode::create_new);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->append("hello "));
  ASSERT_TRUE((*f)->append("world"));
  EXPECT_EQ((*f)->size(), 11u);
  char buf[32];
  auto n = (*f)->read_at(6, buf, sizeof buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "world");
  n = (*f)->read_at(100, buf, sizeof buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE((*f)->sync());
}

TYPED_TEST(FileSystemContract, OpenModesAreEnforced) {
  EXPECT_EQ(this->fs_.open(this->path("missing"), open_mode::open_existing).error(),
            std::error_condition(std::errc::no_such_file_or_directory));
  ASSERT_TRUE(this->fs_.open(this->path("f"), open_mode::create_new));
  EXPECT_EQ(this->fs_.open(this->path("f"), open_mode::create_new).error(),
            std::error_condition(std::errc::file_exists));
  EXPECT_TRUE(this->fs_.open(this->path("f"), open_mode::create_or_open));
  EXPECT_TRUE(this->fs_.open(this->path("f"), open_mode::open_existing));
}

TYPED_TEST(FileSystemContract, ReopenSeesSizeAndTruncateCuts) {
  {
    auto f = this->fs_.open(this->path("f"), open_mode::create_new);
    ASSERT_TRUE((*f)->append("0123456789"));
    ASSERT_TRUE((*f)->truncate(4));
    EXPECT_EQ((*f)->size(), 4u);
  }
  auto f = this->fs_.open(this->path("f"), open_mode::open_existing);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)->size(), 4u);
  ASSERT_TRUE((*f)->append("X"));
  EXPECT_EQ(*this->fs_.read_file(this->path("f")), "0123X");
}

TYPED_TEST(FileSystemContract, ListRemoveRenameAndExists) {
  ASSERT_TRUE(this->fs_.open(this->path("a/b/one"), open_mode::create_new));
  ASSERT_TRUE(this->fs_.open(this->path("a/b/two"), open_mode::create_new));
  auto names = this->fs_.list(this->path("a/b"));
  ASSERT_TRUE(names);
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(this->fs_.rename(this->path("a/b/one"), this->path("a/b/three")));
  EXPECT_FALSE(this->fs_.exists(this->path("a/b/one")));
  EXPECT_TRUE(this->fs_.exists(this->path("a/b/three")));
  ASSERT_TRUE(this->fs_.remove(this->path("a/b/three")));
  EXPECT_FALSE(this->fs_.exists(this->path("a/b/three")));
  EXPECT_FALSE(this->fs_.remove(this->path("a/b/three")));
  EXPECT_TRUE(this->fs_.sync_dir(this->path("a/b")));
  EXPECT_FALSE(this->fs_.list(this->path("nope")));
}

TYPED_TEST(FileSystemContract, WriteFileAtomicallyReplacesContents) {
  ASSERT_TRUE(this->fs_.write_file_atomically(this->path("meta"), "first version, long"));
  ASSERT_TRUE(this->fs_.write_file_atomically(this->path("meta"), "second"));
  EXPECT_EQ(*this->fs_.read_file(this->path("meta")), "second");
  EXPECT_FALSE(this->fs_.exists(this->path("meta.tmp")));
}

TYPED_TEST(FileSystemContract, AVolumeSyncCoversTheFilesUnderItsDirectory) {
  auto f = this->fs_.open(this->path("a/b/f"), open_mode::create_new);
  auto g = this->fs_.open(this->path("g"), open_mode::create_new);
  ASSERT_TRUE(f && g);
  ASSERT_TRUE((*f)->append("one"));
  ASSERT_TRUE((*g)->append("two"));
  auto volume = this->fs_.open_volume_sync(this->root_);
  ASSERT_TRUE(volume) << volume.error().message();
  EXPECT_EQ((*f)->volume(), (*volume)->volume());
  EXPECT_EQ((*g)->volume(), (*volume)->volume());
  EXPECT_TRUE((*volume)->sync());
}

TEST(MemFileVolumeSync, MakesEveryFilesBytesDurableAndCanFailOnItsOwn) {
  mem_file_system fs;
  ASSERT_TRUE(fs.create_dirs("/d"));
  auto f = fs.open("/d/f", open_mode::create_new);
  ASSERT_TRUE(f && fs.sync_dir("/d"));
  ASSERT_TRUE((*f)->append("kept"));
  auto volume = fs.open_volume_sync("/d");
  ASSERT_TRUE(volume);
  fs.fail_volume_syncs(true);
  EXPECT_EQ((*volume)->sync().error(), std::error_condition(std::errc::io_error));
  EXPECT_TRUE((*f)->sync()) << "file syncs still work";
  ASSERT_TRUE((*f)->append(" too"));
  fs.fail_volume_syncs(false);
  EXPECT_TRUE((*volume)->sync());
  EXPECT_EQ(fs.volume_syncs(), 1);
  fs.simulate_crash();
  EXPECT_EQ(fs.contents("/d/f"), "kept too");
}

}  // namespace
}  // namespace spate::storage
