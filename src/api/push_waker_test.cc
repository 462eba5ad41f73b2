// push_waker: wake-ups reach the waker once it is set, and the first wake-up a source has not
// yet answered keeps its time until the source takes it, or gives it back (stamp) when its
// pull read only older records.
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
  waker.shard_changed(clock::now());
  const auto after_first = clock::now();
  while (clock::now() == after_first) {
  }
  waker.shard_changed(clock::now());  // later: does not move the time the records have waited since
  EXPECT_EQ(wakes, 2);
  const auto woken = waker.take_wake();
  ASSERT_TRUE(woken.has_value());
  EXPECT_GE(*woken, before);
  EXPECT_LE(*woken, after_first);
  EXPECT_FALSE(waker.take_wake().has_value()) << "taken once";

  const auto before_next = clock::now();
  waker.shard_changed(clock::now());
  const auto next = waker.take_wake();
  ASSERT_TRUE(next.has_value());
  EXPECT_GE(*next, before_next) << "a wake-up after a take starts a new wait";
}

TEST(PushWaker, AWakeUpBeforeTheWakerIsSetIsForwardedOnceAndTimed) {
  push_waker waker;
  const auto before = clock::now();
  waker.shard_changed(clock::now());
  waker.shard_changed(clock::now());
  int wakes = 0;
  waker.set([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
  const auto woken = waker.take_wake();
  ASSERT_TRUE(woken.has_value());
  EXPECT_GE(*woken, before);
}

TEST(PushWaker, AGivenBackWakeUpKeepsTheEarlierTime) {
  push_waker waker;
  waker.shard_changed(clock::now());
  const auto first = waker.take_wake();
  ASSERT_TRUE(first.has_value());
  waker.keep_waiting_since(*first);
  EXPECT_EQ(waker.take_wake(), first) << "given back with nothing since";

  const auto later = clock::now();
  while (clock::now() == later) {
  }
  waker.shard_changed(
      clock::now());  // a wake-up after the earlier one was taken, before it is given back
  waker.keep_waiting_since(*first);
  EXPECT_EQ(waker.take_wake(), first) << "the earlier of the two";
}

TEST(PushWaker, StampPutsTheTimeOnAPageThatReachedTheEndOnly) {
  push_waker waker;
  const auto woken = clock::now();

  pushed_message older;  // a subscriber catching up: these are not the announced records
  waker.stamp(woken, /*reached_end=*/false, older);
  EXPECT_FALSE(older.woken_at.has_value());
  EXPECT_EQ(waker.take_wake(), woken) << "the wait goes on";

  pushed_message newest;
  waker.stamp(woken, /*reached_end=*/true, newest);
  EXPECT_EQ(newest.woken_at, woken);
  EXPECT_FALSE(waker.take_wake().has_value());

  pushed_message unannounced;  // no wake-up taken: nothing to stamp
  waker.stamp(std::nullopt, /*reached_end=*/true, unannounced);
  EXPECT_FALSE(unannounced.woken_at.has_value());
}

}  // namespace
}  // namespace spate::api
