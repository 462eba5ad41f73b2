// push_waker: wake-ups reach the waker once it is set, and the first wake-up a source has not
// yet answered keeps its time until the source takes it.
#include "api/push_waker.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

using clock = push_waker::clock;

TEST(PushWaker, NoWakeUpNoTime) {
  push_waker waker;
  EXPECT_FALSE(waker.take_wake().has_value());
}

TEST(PushWaker, TheFirstWakeUpKeepsItsTimeUntilItIsTaken) {
  push_waker waker;
  int wakes = 0;
  waker.set([&] { ++wakes; });
  const auto before = clock::now();
  waker.shard_changed();
  const auto after_first = clock::now();
  while (clock::now() == after_first) {
  }
  waker.shard_changed();  // later: does not move the time the records have waited since
  EXPECT_EQ(wakes, 2);
  const auto woken = waker.take_wake();
  ASSERT_TRUE(woken.has_value());
  EXPECT_GE(*woken, before);
  EXPECT_LE(*woken, after_first);
  EXPECT_FALSE(waker.take_wake().has_value()) << "taken once";

  const auto before_next = clock::now();
  waker.shard_changed();
  const auto next = waker.take_wake();
  ASSERT_TRUE(next.has_value());
  EXPECT_GE(*next, before_next) << "a wake-up after a take starts a new wait";
}

TEST(PushWaker, AWakeUpBeforeTheWakerIsSetIsForwardedOnceAndTimed) {
  push_waker waker;
  const auto before = clock::now();
  waker.shard_changed();
  waker.shard_changed();
  int wakes = 0;
  waker.set([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
  const auto woken = waker.take_wake();
  ASSERT_TRUE(woken.has_value());
  EXPECT_GE(*woken, before);
}

}  // namespace
}  // namespace spate::api
