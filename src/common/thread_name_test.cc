// thread_name_test: a thread's name as the kernel reports it, cut to its limit.
#include "common/thread_name.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace spate {
namespace {

// What /proc says the calling thread is called (what top -H and perf show).
std::string name_in_proc() {
  std::ifstream comm("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  const std::string before = this_thread_name();
  std::string inside, inside_proc;
  std::thread worker([&] {
    name_this_thread("spate-io-1");
    inside = this_thread_name();
    inside_proc = name_in_proc();
  });
  worker.join();
  EXPECT_EQ(inside, "spate-io-1");
  EXPECT_EQ(inside_proc, "spate-io-1");
  EXPECT_EQ(this_thread_name(), before);
}

TEST(ThreadNameTest, CutsLongNamesToTheKernelsLimit) {
  std::string inside;
  std::thread worker([&] {
    name_this_thread("spate-subscribers-12345");
    inside = name_in_proc();
  });
  worker.join();
  EXPECT_EQ(inside, "spate-subscribe");
  EXPECT_EQ(inside.size(), thread_name_limit);
}

}  // namespace
}  // namespace spate
