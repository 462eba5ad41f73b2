// admission_test: slots, FIFO while healthy, newest first and shedding once the queue stands.
#include "server/admission.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace spate::server {
namespace {

using namespace std::chrono_literals;

class AdmissionTest : public ::testing::Test {
 protected:
  // Runs every handler posted so far (and those they post), on this thread.
  void drain() {
    io_.restart();
    io_.run();
  }
  session_executor executor() { return io_.get_executor(); }

  net::io_context io_;
  std::vector<int> ran_;
  std::vector<int> refused_;
};

TEST_F(AdmissionTest, RunsInlineWhileASlotIsFree) {
  admission gate({.max_active = 2});
  gate.submit(
      executor(), [&](admission::ticket) { ran_.push_back(1); }, [&] { refused_.push_back(1); });
  EXPECT_EQ(ran_, std::vector<int>{1});  // no post needed
  EXPECT_EQ(gate.stats().active, 0u);
  EXPECT_EQ(gate.stats().admitted, 1u);
}

TEST_F(AdmissionTest, WaitersRunInArrivalOrderWhenTheQueueDrainsQuickly) {
  admission gate({.max_active = 1});
  gate.submit(
      executor(),
      [&](admission::ticket) {
        ran_.push_back(0);
        // While the only slot is taken, three more arrive and wait.
        for (int i = 1; i <= 3; ++i) {
          gate.submit(
              executor(), [this, i](admission::ticket) { ran_.push_back(i); }, [] {});
        }
        EXPECT_EQ(gate.stats().queued, 3u);
      },
      [] {});
  drain();
  EXPECT_EQ(ran_, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_FALSE(gate.stats().overloaded);
}

TEST_F(AdmissionTest, AStandingQueueIsServedNewestFirstAndItsOldestShed) {
  // Every request waits longer than the 1 ms target for a whole 2 ms interval: overloaded.
  admission gate({.max_active = 1,
                  .target = 1ms,
                  .interval = 2ms,
                  .max_wait = 10'000ms,
                  .overload_wait = 40ms});
  constexpr int waiting = 30;
  gate.submit(
      executor(),
      [&](admission::ticket) {
        for (int i = 1; i <= waiting; ++i) {
          gate.submit(
              executor(),
              [this, i](admission::ticket) {
                ran_.push_back(i);
                std::this_thread::sleep_for(3ms);  // each request's work
              },
              [this, i] { refused_.push_back(i); });
        }
        std::this_thread::sleep_for(3ms);
      },
      [] {});
  drain();
  EXPECT_EQ(ran_.size() + refused_.size(), static_cast<std::size_t>(waiting));
  EXPECT_TRUE(gate.stats().overloaded);
  // Served FIFO until the judgement came (the first few), then newest first: somewhere the
  // order turns and runs backwards.
  bool turned = false;
  for (std::size_t k = 1; k < ran_.size(); ++k) turned = turned || ran_[k] < ran_[k - 1];
  EXPECT_TRUE(turned);
  // The oldest waiters, past 40 ms, were shed rather than served late.
  ASSERT_FALSE(refused_.empty());
  for (int r : refused_) EXPECT_LT(r, waiting);
  EXPECT_EQ(gate.stats().shed, refused_.size());
}

TEST_F(AdmissionTest, ASlotIsHeldUntilItsTicketGoes) {
  admission gate({.max_active = 1});
  admission::ticket kept;
  gate.submit(
      executor(), [&](admission::ticket t) { kept = std::move(t); }, [] {});
  ASSERT_TRUE(kept);
  gate.submit(
      executor(), [this](admission::ticket) { ran_.push_back(2); }, [] {});
  drain();
  EXPECT_TRUE(ran_.empty());  // the first still holds the only slot
  EXPECT_EQ(gate.stats().queued, 1u);
  kept.release();
  drain();
  EXPECT_EQ(ran_, std::vector<int>{2});
  EXPECT_EQ(gate.stats().active, 0u);
}

TEST_F(AdmissionTest, AFullQueueRefusesAtOnce) {
  admission gate({.max_active = 1, .max_queue = 2});
  gate.submit(
      executor(),
      [&](admission::ticket) {
        for (int i = 1; i <= 4; ++i) {
          gate.submit(
              executor(), [this, i](admission::ticket) { ran_.push_back(i); },
              [this, i] { refused_.push_back(i); });
        }
      },
      [] {});
  drain();
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
  EXPECT_EQ(refused_, (std::vector<int>{3, 4}));
}

}  // namespace
}  // namespace spate::server
