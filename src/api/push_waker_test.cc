// push_waker: wake-ups reach the waker once it is set; for each shard, the wake-ups a source
// has not answered keep the first one's time and the highest end they announced, until a pull
// takes them; a page that holds the last announced record gets the time, and a wake-up the
// page did not answer is kept only while the reader has yet to reach its end.
#include "api/push_waker.h"

#include <gtest/gtest.h>

#include <map>

namespace spate::api {

// For failure messages.
void PrintTo(const push_waker::wait& w, std::ostream* os) {
  *os << "{shard " << w.shard << ", end " << w.end << ", since "
      << w.since.time_since_epoch().count() << "}";
}

namespace {

using clock = push_waker::clock;
using wait = push_waker::wait;

// A clock reading strictly after every earlier one.
clock::time_point later_than(clock::time_point t) {
  auto now = clock::now();
  while (now <= t) now = clock::now();
  return now;
}

engine::shard_change change(metadata::shard_index shard, storage::position end,
                            clock::time_point at) {
  return {.shard = shard, .visible_end = end, .at = at};
}

// What take_wakes() hands over.
push_waker::waits taken(push_waker& waker) {
  push_waker::waits out;
  waker.take_wakes(out);
  return out;
}

// A reader as push_waker::answered sees one: where it goes on in each shard
// (stream_reader::reading_at); a shard not listed is one it no longer reads.
struct positions {
  std::map<metadata::shard_index, storage::position> at;
  std::optional<storage::position> reading_at(metadata::shard_index shard) const {
    const auto it = at.find(shard);
    if (it == at.end()) return std::nullopt;
    return it->second;
  }
};

TEST(PushWaker, NoWakeUpNoTime) {
  push_waker waker;
  EXPECT_TRUE(taken(waker).empty());
}

TEST(PushWaker, AShardKeepsItsFirstTimeAndItsHighestEnd) {
  push_waker waker;
  int wakes = 0;
  waker.set([&] { ++wakes; });
  const auto first = clock::now();
  waker.shard_changed(change(3, 10, first));
  waker.shard_changed(change(3, 12, later_than(first)));  // the records waited since `first`
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(taken(waker), (push_waker::waits{{3, 12, first}}));
  EXPECT_TRUE(taken(waker).empty()) << "taken once";

  const auto next = later_than(first);
  waker.shard_changed(change(3, 13, next));
  EXPECT_EQ(taken(waker), (push_waker::waits{{3, 13, next}}))
      << "a wake-up after a take starts a new wait";
}

TEST(PushWaker, EachShardKeepsItsOwn) {
  push_waker waker;
  const auto first = clock::now();
  const auto second = later_than(first);
  waker.shard_changed(change(0, 5, first));
  waker.shard_changed(change(1, 7, second));
  waker.shard_changed(change(0, 6, later_than(second)));
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, 6, first}, {1, 7, second}}));
}

TEST(PushWaker, AWakeUpBeforeTheWakerIsSetIsForwardedOnceAndKept) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(change(0, 1, first));
  waker.shard_changed(change(0, 2, later_than(first)));
  int wakes = 0;
  waker.set([&] { ++wakes; });
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, 2, first}}));
}

TEST(PushWaker, APageWithTheLastAnnouncedRecordTakesItsShardsTimeOnly) {
  push_waker waker;
  const auto first = clock::now();
  const auto second = later_than(first);
  waker.shard_changed(change(0, 10, first));
  waker.shard_changed(change(1, 20, second));
  auto pulled = taken(waker);

  pushed_message page_of_1;
  waker.answered(pulled, {.shard = 1, .first = 15, .next = 20, .message = &page_of_1},
                 positions{{{0, 8}, {1, 20}}});
  EXPECT_EQ(page_of_1.woken_at, second);
  EXPECT_TRUE(pulled.empty());
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, 10, first}}))
      << "shard 0's reader, at 8, has yet to reach 10";
}

TEST(PushWaker, APageShortOfTheAnnouncedEndLeavesTheWaitGoingOn) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(change(0, 10, first));
  auto pulled = taken(waker);

  pushed_message older;  // a subscriber catching up: the announced records come later
  waker.answered(pulled, {.shard = 0, .first = 2, .next = 6, .message = &older},
                 positions{{{0, 6}}});
  EXPECT_FALSE(older.woken_at.has_value());
  pulled = taken(waker);
  EXPECT_EQ(pulled, (push_waker::waits{{0, 10, first}})) << "the wait goes on";

  pushed_message newest;
  waker.answered(pulled, {.shard = 0, .first = 6, .next = 10, .message = &newest},
                 positions{{{0, 10}}});
  EXPECT_EQ(newest.woken_at, first);
  EXPECT_TRUE(taken(waker).empty());
}

TEST(PushWaker, AGivenBackWakeUpKeepsTheEarlierTime) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(change(0, 10, first));
  auto pulled = taken(waker);
  waker.shard_changed(change(0, 11, later_than(first)));  // after the take, before the answer
  pushed_message older;
  waker.answered(pulled, {.shard = 0, .first = 0, .next = 4, .message = &older},
                 positions{{{0, 4}}});
  EXPECT_EQ(taken(waker), (push_waker::waits{{0, 11, first}})) << "the earlier time";
}

TEST(PushWaker, AWakeUpTheReaderIsAlreadyPastIsDroppedUntimed) {
  push_waker waker;
  const auto first = clock::now();
  // Shard 1's records were read (by an earlier pull) before its wake-up came; a change that
  // brings no records (a superseded subscription) announces end 0.
  waker.shard_changed(change(0, 10, first));
  waker.shard_changed(change(1, 20, first));
  waker.shard_changed(change(2, 0, first));
  auto pulled = taken(waker);
  pushed_message page_of_0;
  waker.answered(pulled, {.shard = 0, .first = 5, .next = 10, .message = &page_of_0},
                 positions{{{0, 10}, {1, 20}, {2, 0}}});
  EXPECT_EQ(page_of_0.woken_at, first);
  EXPECT_TRUE(taken(waker).empty());

  // Nor is a page dated by a wake-up whose records an earlier page took.
  waker.shard_changed(change(0, 10, first));
  pulled = taken(waker);
  pushed_message later_records;
  waker.answered(pulled, {.shard = 0, .first = 10, .next = 12, .message = &later_records},
                 positions{{{0, 12}}});
  EXPECT_FALSE(later_records.woken_at.has_value());
  EXPECT_TRUE(taken(waker).empty());
}

TEST(PushWaker, APageWithoutRecordsAndAFinishedShardAnswerUntimed) {
  push_waker waker;
  const auto first = clock::now();
  waker.shard_changed(change(0, 10, first));
  waker.shard_changed(change(1, 10, first));
  auto pulled = taken(waker);
  // The end of closed shard 0, read to its end; the reader has finished shard 1 too.
  waker.answered(pulled, {.shard = 0, .first = 10, .next = 10, .message = nullptr}, positions{});
  EXPECT_TRUE(taken(waker).empty());

  pushed_message unannounced;  // nothing taken: nothing to put on the page
  push_waker::waits none;
  waker.answered(none, {.shard = 1, .first = 0, .next = 10, .message = &unannounced},
                 positions{{{1, 10}}});
  EXPECT_FALSE(unannounced.woken_at.has_value());
}

}  // namespace
}  // namespace spate::api
