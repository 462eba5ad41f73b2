// scheduler: delayed tasks run once due by the clock it is given, in due order, never before;
// the periodic job runs once per period; tasks may schedule more work; stop() drops the rest.
#include "engine/scheduler.h"

#include "testutil/eventually.h"
#include "testutil/manual_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace spate::engine {
namespace {

struct journal {
  std::mutex mu;
  std::vector<int> ran;
  void add(int v) {
    std::lock_guard lock(mu);
    ran.push_back(v);
  }
  std::vector<int> get() {
    std::lock_guard lock(mu);
    return ran;
  }
};

TEST(Scheduler, RunsTasksOnlyOnceDueInDueOrder) {
  testutil::manual_clock clock;
  std::vector<std::int64_t> periodic;
  scheduler s(clock, 1000, [&](std::int64_t now) { periodic.push_back(now); });
  journal j;
  s.schedule(300, [&] { j.add(3); });
  s.schedule(100, [&] { j.add(1); });
  s.schedule(200, [&] { j.add(2); });
  s.run_due();
  EXPECT_TRUE(j.get().empty());
  clock.advance(99);
  s.run_due();
  EXPECT_TRUE(j.get().empty());
  clock.advance(150);  // 249: the first two are due
  s.run_due();
  EXPECT_EQ(j.get(), (std::vector<int>{1, 2}));
  EXPECT_EQ(s.pending(), 1u);
  clock.advance(51);
  s.run_due();
  EXPECT_EQ(j.get(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_TRUE(periodic.empty());
}

TEST(Scheduler, PeriodicJobRunsOncePerPeriod) {
  testutil::manual_clock clock;
  std::vector<std::int64_t> periodic;
  const std::int64_t start = clock.wall_ms();
  scheduler s(clock, 1000, [&](std::int64_t now) { periodic.push_back(now - start); });
  clock.advance(999);
  s.run_due();
  EXPECT_TRUE(periodic.empty());
  clock.advance(1);
  s.run_due();
  s.run_due();
  EXPECT_EQ(periodic, (std::vector<std::int64_t>{1000}));
  clock.advance(1000);
  s.run_due();
  EXPECT_EQ(periodic, (std::vector<std::int64_t>{1000, 2000}));
}

TEST(Scheduler, ATaskMaySchedulesMoreWork) {
  testutil::manual_clock clock;
  scheduler s(clock, 60'000, [](std::int64_t) {});
  journal j;
  s.schedule(10, [&] {
    j.add(1);
    s.schedule(10, [&] { j.add(2); });
  });
  clock.advance(10);
  s.run_due();
  EXPECT_EQ(j.get(), (std::vector<int>{1}));
  clock.advance(10);
  s.run_due();
  EXPECT_EQ(j.get(), (std::vector<int>{1, 2}));
}

TEST(Scheduler, TheThreadRunsDueTasksByTheMachineClock) {
  scheduler s(system_clock(), 60'000, [](std::int64_t) {});
  std::atomic<int> ran{0};
  s.start();
  s.schedule(0, [&] { ++ran; });
  s.schedule(20, [&] { ++ran; });
  EXPECT_TRUE(testutil::eventually([&] { return ran == 2; }));
  s.stop();
}

TEST(Scheduler, StopDropsTasksNotYetDue) {
  testutil::manual_clock clock;
  scheduler s(clock, 60'000, [](std::int64_t) {});
  s.start();
  bool ran = false;
  s.schedule(1000, [&] { ran = true; });
  s.stop();
  s.stop();  // idempotent
  clock.advance(1000);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace spate::engine
