// push_waker: wake-ups reach the waker once it is set, and the first wake-up of each shard that
// a source has not yet answered keeps its time until a pull takes it; a page of that shard's
// records up to its end gets the time, and every wake-up the page did not answer waits on.
#include "api/push_waker.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

using clock = push_waker::clock;

// A clock reading strictly after every earlier one.
clock::time_point later_than(clock::time_point t) {
  auto now = clock::now();
  while (now <= t) now = clock::now();
  return now;
}

// A reader that has yet to read every shard's news (stream_reader::may_have_news).
bool every_shard_unread(metadata::shard_index) {
  return true;
}

// What take_wakes() hands over, as (shard, time) pairs.
push_waker::waits taken(push_waker& waker) {
  push_waker::waits out;
  waker.take_wakes(out);
  return out;
}

TEST(PushWaker, NoWakeUpNoTime) {
  push_waker waker;
  EXPECT_TRUE(taken(waker).empty());
}

TEST(PushWaker, TheFirstWakeUpOfAShardKeepsItsTimeUntilItIsTaken) {
  push_waker waker;
  int wakes = 0;
  waker.set([&] { ++wakes; });
  const auto first = clock::now();
  waker.shard_changed(3, first);
  waker.shard_changed(3, later_than(first));  // does not move the time the records waited since
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(taken(waker), (push_waker::waits{{3, first}}));
  EXPECT_TRUE(taken(waker).empty()) << "taken once";

  const auto next = later_than(first);
  waker.shard_changed(3, next);
  EXPECT_EQ(taken(waker), (push_waker::waits{{3, next}}))
      << "a wake-up after a take starts a new wait";
}

TEST(PushWaker, EachShardKeepsItsOwnTime) {
  push_waker waker;
  const auto first = clock::now();
  const auto second = later_than(first);
  waker.shard_changed(0, first);
  waker.shard_changed(1, second);
  waker.shard_changed(0, later_than(second));
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, first}, {1, second}}));
}

TEST(PushWaker, AWakeUpBeforeTheWakerIsSetIsForwardedOnceAndTimed) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(0, first);
  waker.shard_changed(0, later_than(first));
  int wakes = 0;
  waker.set([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, first}}));
}

TEST(PushWaker, APageThatReachedItsShardsEndTakesThatShardsTimeOnly) {
  push_waker waker;
  const auto first = clock::now();
  const auto second = later_than(first);
  waker.shard_changed(0, first);
  waker.shard_changed(1, second);
  auto pulled = taken(waker);

  pushed_message page_of_1;
  waker.answered(pulled, 1, /*reached_end=*/true, &page_of_1, every_shard_unread);
  EXPECT_EQ(page_of_1.woken_at, second);
  EXPECT_TRUE(pulled.empty());
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, first}})) << "shard 0's records still wait";
}

TEST(PushWaker, AnotherShardsWakeUpIsDroppedOnceItsShardWasFoundEmpty) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(0, first);
  waker.shard_changed(1, first);  // e.g. a consumer's change woke every shard, with no records
  auto pulled = taken(waker);
  pushed_message page_of_0;
  waker.answered(pulled, 0, /*reached_end=*/true, &page_of_0,
                 [](metadata::shard_index shard) { return shard != 1; });
  EXPECT_EQ(page_of_0.woken_at, first);
  EXPECT_TRUE(taken(waker).empty()) << "shard 1 had nothing the reader has not read";
}

TEST(PushWaker, APageShortOfTheEndLeavesTheWaitGoingOn) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(0, first);
  auto pulled = taken(waker);

  pushed_message older;  // a subscriber catching up: these are not the announced records
  waker.answered(pulled, 0, /*reached_end=*/false, &older, every_shard_unread);
  EXPECT_FALSE(older.woken_at.has_value());
  pulled = taken(waker);
  EXPECT_EQ(pulled, (push_waker::waits{{0, first}})) << "the wait goes on";

  pushed_message newest;
  waker.answered(pulled, 0, /*reached_end=*/true, &newest, every_shard_unread);
  EXPECT_EQ(newest.woken_at, first);
  EXPECT_TRUE(taken(waker).empty());
}

TEST(PushWaker, AGivenBackWakeUpKeepsTheEarlierTime) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(0, first);
  auto pulled = taken(waker);
  waker.shard_changed(0, later_than(first));  // after the take, before the page is answered
  pushed_message older;
  waker.answered(pulled, 0, /*reached_end=*/false, &older, every_shard_unread);
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, first}})) << "the earlier of the two";
}

TEST(PushWaker, APageWithoutRecordsAnswersItsShardUntimed) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(0, first);
  waker.shard_changed(1, first);
  auto pulled = taken(waker);
  waker.answered(pulled, 0, /*reached_end=*/true, nullptr,
                 every_shard_unread);  // the end of a closed shard
  EXPECT_EQ(taken(waker), (push_waker::waits{{1, first}}));

  pushed_message unannounced;  // nothing taken: nothing to put on the page
  push_waker::waits none;
  waker.answered(none, 1, /*reached_end=*/true, &unannounced, every_shard_unread);
  EXPECT_FALSE(unannounced.woken_at.has_value());
}

}  // namespace
}  // namespace spate::api
