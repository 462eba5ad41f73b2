// The commit point of each fsync policy: grouping under batch, one sync per request under
// always, none under never, and errors reaching every waiting request.
#include "storage/group_committer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

namespace spate::storage {
namespace {

using namespace std::chrono_literals;

// A syncable whose sync takes a while, so requests pile up behind it, and can be told to fail.
class slow_target final : public syncable {
 public:
  result<void> sync() override {
    std::this_thread::sleep_for(2ms);
    syncs_.fetch_add(1);
    if (fail_) return std::error_code(EIO, std::system_category());
    return {};
  }
  std::atomic<int> syncs_{0};
  std::atomic<bool> fail_{false};
};

// A syncable whose sync, once started, waits until the test opens its gate.
class gated_target final : public syncable {
 public:
  explicit gated_target(bool open) : open_(open) {}
  result<void> sync() override {
    std::unique_lock lock(mu_);
    ++started_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return {};
  }
  void wait_until_started() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return started_ > 0; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  int syncs() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_;
  int started_ = 0;
};

// A file on a volume: counts its own syncs, and records the marks volume syncs covered.
class volume_target final : public syncable {
 public:
  explicit volume_target(std::uint64_t volume) : volume_(volume) {}
  result<void> sync() override {
    syncs.fetch_add(1);
    if (fail) return std::error_code(EIO, std::system_category());
    return {};
  }
  std::optional<std::uint64_t> volume() const override { return volume_; }
  std::uint64_t sync_mark() const override { return written.load(); }
  result<void> covered_by_volume_sync(std::uint64_t mark) override {
    std::lock_guard lock(mu);
    covered.push_back(mark);
    return {};
  }
  std::vector<std::uint64_t> covered_marks() {
    std::lock_guard lock(mu);
    return covered;
  }

  std::atomic<int> syncs{0};
  std::atomic<std::uint64_t> written{100};
  std::atomic<bool> fail{false};

 private:
  const std::uint64_t volume_;
  std::mutex mu;
  std::vector<std::uint64_t> covered;
};

// A volume sync that counts its calls, can fail, and runs `during` inside each call.
class test_volume final : public volume_sync {
 public:
  result<void> sync() override {
    if (during) during();
    syncs.fetch_add(1);
    if (fail) return std::error_code(EIO, std::system_category());
    return {};
  }
  std::uint64_t volume() const override { return 7; }

  std::atomic<int> syncs{0};
  bool fail = false;
  std::function<void()> during;
};

// Issues `n` requests from `threads` threads and waits for all completions.
std::vector<std::error_code> request_many(group_committer& committer,
                                          std::shared_ptr<slow_target> target, int n, int threads) {
  std::vector<std::promise<std::error_code>> done(n);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = t; i < n; i += threads) {
        committer.request_sync(target, [&done, i](std::error_code ec) { done[i].set_value(ec); });
      }
    });
  }
  for (auto& w : workers) w.join();
  std::vector<std::error_code> outcomes;
  for (auto& d : done) outcomes.push_back(d.get_future().get());
  return outcomes;
}

TEST(GroupCommitter, BatchPolicyCoversManyRequestsWithOneSync) {
  group_committer committer(fsync_policy::batch);
  auto target = std::make_shared<slow_target>();
  auto outcomes = request_many(committer, target, 400, 4);
  for (auto ec : outcomes) EXPECT_FALSE(ec);
  EXPECT_EQ(committer.requests(), 400u);
  EXPECT_LT(target->syncs_.load(), 200) << "requests that arrive during a sync share the next";
  EXPECT_GE(target->syncs_.load(), 1);
}

TEST(GroupCommitter, ARequestQueuedWhileAnotherFileSyncsRidesTheNextSyncOfItsOwnFile) {
  group_committer committer(fsync_policy::batch);
  auto first = std::make_shared<gated_target>(false);
  auto a = std::make_shared<gated_target>(false);
  auto b = std::make_shared<gated_target>(true);
  std::latch completed(4);
  auto done = [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    completed.count_down();
  };
  // While `first` syncs, a request for a and one for b queue up together.
  committer.request_sync(first, done);
  first->wait_until_started();
  committer.request_sync(a, done);
  committer.request_sync(b, done);
  first->open();
  // While a syncs, a second request for b arrives: b's sync has not started yet.
  a->wait_until_started();
  committer.request_sync(b, done);
  a->open();
  completed.wait();
  EXPECT_EQ(b->syncs(), 1) << "one sync of b covers both of its requests";
  EXPECT_EQ(committer.syncs(), 3u);
  EXPECT_EQ(committer.rounds(), 3u);
  EXPECT_EQ(committer.requests(), 4u);
}

// Holds the committer in a sync of `gate` while `queue` issues requests, so that they all
// fall into the next round; then waits for every completion and returns their outcomes.
std::vector<std::error_code> one_round_after(group_committer& committer,
                                             const std::shared_ptr<gated_target>& gate,
                                             const std::vector<std::shared_ptr<syncable>>& queue) {
  std::vector<std::promise<std::error_code>> done(queue.size() + 1);
  committer.request_sync(gate, [&done](std::error_code ec) { done.back().set_value(ec); });
  gate->wait_until_started();
  for (std::size_t i = 0; i < queue.size(); ++i) {
    committer.request_sync(queue[i], [&done, i](std::error_code ec) { done[i].set_value(ec); });
  }
  gate->open();
  std::vector<std::error_code> outcomes;
  for (auto& d : done) outcomes.push_back(d.get_future().get());
  outcomes.pop_back();  // the gate's own
  return outcomes;
}

TEST(GroupCommitter, ARoundOfSeveralFilesSyncsTheVolumeOnce) {
  auto volume = std::make_unique<test_volume>();
  test_volume& vol = *volume;
  group_committer committer(fsync_policy::batch, std::move(volume));
  auto a = std::make_shared<volume_target>(7);
  auto b = std::make_shared<volume_target>(7);
  auto c = std::make_shared<volume_target>(7);
  auto elsewhere = std::make_shared<volume_target>(8);  // another file system
  // Bytes written while the volume syncs are not covered by it: marks are taken before.
  vol.during = [&] { b->written = 200; };
  auto outcomes = one_round_after(committer, std::make_shared<gated_target>(false),
                                  {a, b, c, b, elsewhere, a});
  for (auto ec : outcomes) EXPECT_FALSE(ec);
  EXPECT_EQ(vol.syncs.load(), 1);
  for (auto* t : {a.get(), b.get(), c.get()}) EXPECT_EQ(t->syncs.load(), 0);
  EXPECT_EQ(a->covered_marks(), std::vector<std::uint64_t>{100});
  EXPECT_EQ(b->covered_marks(), std::vector<std::uint64_t>{100});
  EXPECT_EQ(c->covered_marks(), std::vector<std::uint64_t>{100});
  EXPECT_EQ(elsewhere->syncs.load(), 1) << "a file on another volume is synced alone";
  EXPECT_TRUE(elsewhere->covered_marks().empty());
  EXPECT_EQ(committer.volume_syncs(), 1u);
  EXPECT_EQ(committer.rounds(), 2u);
}

TEST(GroupCommitter, AFailedVolumeSyncFallsBackToEachFileAndFailsOnlyTheFilesThatFail) {
  auto volume = std::make_unique<test_volume>();
  volume->fail = true;
  group_committer committer(fsync_policy::batch, std::move(volume));
  auto a = std::make_shared<volume_target>(7);
  auto b = std::make_shared<volume_target>(7);
  auto c = std::make_shared<volume_target>(7);
  b->fail = true;
  auto outcomes =
      one_round_after(committer, std::make_shared<gated_target>(false), {a, b, c, b});
  EXPECT_FALSE(outcomes[0]);
  EXPECT_EQ(outcomes[1], std::error_condition(std::errc::io_error));
  EXPECT_FALSE(outcomes[2]);
  EXPECT_EQ(outcomes[3], std::error_condition(std::errc::io_error));
  for (auto* t : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(t->syncs.load(), 1);
    EXPECT_TRUE(t->covered_marks().empty()) << "nothing is taken as covered by a failed sync";
  }
  EXPECT_EQ(committer.volume_syncs(), 0u);
}

TEST(GroupCommitter, ARequestGroupReachesTheCommitterInOnePiece) {
  auto volume = std::make_unique<test_volume>();
  test_volume& vol = *volume;
  group_committer committer(fsync_policy::batch, std::move(volume));
  auto gate = std::make_shared<gated_target>(false);
  auto a = std::make_shared<volume_target>(7);
  auto b = std::make_shared<volume_target>(7);
  auto c = std::make_shared<volume_target>(7);
  std::promise<void> gate_done;
  std::latch completed(3);
  auto done = [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    completed.count_down();
  };
  committer.request_sync(gate, [&](std::error_code) { gate_done.set_value(); });
  gate->wait_until_started();
  {
    group_committer::request_group together(committer);
    committer.request_sync(a, done);
    {
      group_committer::request_group inner(committer);  // joins the outer group
      committer.request_sync(b, done);
    }
    // The committer finishes its round and finds nothing queued: `a` and `b` are still held.
    gate->open();
    gate_done.get_future().wait();
    committer.request_sync(c, done);
  }
  completed.wait();
  EXPECT_EQ(a->syncs.load(), 0) << "the round did not start with a alone";
  EXPECT_EQ(vol.syncs.load(), 1);
  for (auto* t : {a.get(), b.get(), c.get()}) EXPECT_EQ(t->covered_marks().size(), 1u);
  EXPECT_EQ(committer.rounds(), 2u);
}

TEST(GroupCommitter, AlwaysPolicySyncsEveryRequest) {
  group_committer committer(fsync_policy::always);
  auto target = std::make_shared<slow_target>();
  auto outcomes = request_many(committer, target, 40, 4);
  for (auto ec : outcomes) EXPECT_FALSE(ec);
  EXPECT_EQ(target->syncs_.load(), 40);
}

// Each round's sync time is recorded before its requests complete: 40 rounds of a sync that
// sleeps 2 ms each land in buckets above 1 ms, and sum to at least 80 ms.
TEST(GroupCommitter, TimesEveryRoundsSync) {
  group_committer committer(fsync_policy::always);
  auto target = std::make_shared<slow_target>();
  request_many(committer, target, 40, 4);
  const auto& times = committer.sync_durations();
  EXPECT_EQ(times.count(), 40u);
  EXPECT_GE(times.sum_micros(), 40u * 2000u);
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i <= duration_histogram::bounds.size(); ++i) {
    if (i < duration_histogram::bounds.size() && duration_histogram::bounds[i] <= 0.001) {
      EXPECT_EQ(times.in_bucket(i), 0u)
          << "a 2 ms sync counted at most " << duration_histogram::bounds[i] << " s";
    }
    counted += times.in_bucket(i);
  }
  EXPECT_EQ(counted, 40u);
}

TEST(GroupCommitter, NeverPolicyCompletesAtOnceWithoutSyncing) {
  group_committer committer(fsync_policy::never);
  auto target = std::make_shared<slow_target>();
  bool called = false;
  committer.request_sync(target, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    called = true;
  });
  EXPECT_TRUE(called) << "completed before request_sync returned";
  EXPECT_EQ(target->syncs_.load(), 0);
  EXPECT_EQ(committer.sync_durations().count(), 0u);
}

TEST(GroupCommitter, SyncFailureReachesEveryWaiter) {
  group_committer committer(fsync_policy::batch);
  auto target = std::make_shared<slow_target>();
  target->fail_ = true;
  auto outcomes = request_many(committer, target, 20, 2);
  for (auto ec : outcomes) EXPECT_EQ(ec, std::error_condition(std::errc::io_error));
}

TEST(GroupCommitter, DestructorCompletesQueuedRequests) {
  auto target = std::make_shared<slow_target>();
  std::atomic<int> completed{0};
  {
    group_committer committer(fsync_policy::always);
    for (int i = 0; i < 10; ++i) {
      committer.request_sync(target, [&](std::error_code) { completed.fetch_add(1); });
    }
  }
  EXPECT_EQ(completed.load(), 10);
}

TEST(GroupCommitter, PolicyNamesRoundTrip) {
  for (auto p : {fsync_policy::batch, fsync_policy::always, fsync_policy::never}) {
    EXPECT_EQ(parse_fsync_policy(to_string(p)), p);
  }
  EXPECT_FALSE(parse_fsync_policy("sometimes"));
}

}  // namespace
}  // namespace spate::storage
