// memory_budget_test: grants are all or nothing, reservations give back exactly what they hold.
#include "common/memory_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace spate {
namespace {

TEST(MemoryBudgetTest, GrantsWithinTheLimitAndRefusesBeyond) {
  memory_budget budget("requests", 100);
  auto a = budget.try_reserve(60);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bytes(), 60u);
  EXPECT_FALSE(budget.try_reserve(41));  // 101 > 100: refused whole, nothing taken
  EXPECT_EQ(budget.used(), 60u);
  EXPECT_EQ(budget.refusals(), 1u);
  auto b = budget.try_reserve(40);
  ASSERT_TRUE(b);
  EXPECT_EQ(budget.used(), 100u);
  EXPECT_EQ(budget.available(), 0u);
  EXPECT_EQ(budget.peak(), 100u);
}

TEST(MemoryBudgetTest, ReservationsReturnTheirBytesWhenDestroyedOrMoved) {
  memory_budget budget("responses", 100);
  {
    auto a = budget.try_reserve(70);
    ASSERT_TRUE(a);
    memory_budget::reservation moved = std::move(*a);
    EXPECT_EQ(a->bytes(), 0u);
    EXPECT_EQ(budget.used(), 70u);
    memory_budget::reservation other = *budget.try_reserve(10);
    other = std::move(moved);  // the 10 go back, the 70 stay with `other`
    EXPECT_EQ(budget.used(), 70u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(MemoryBudgetTest, GrowShrinkAndResize) {
  memory_budget budget("requests", 100);
  auto r = *budget.try_reserve(10);
  EXPECT_TRUE(r.grow(50));
  EXPECT_EQ(r.bytes(), 60u);
  EXPECT_FALSE(r.grow(41));
  EXPECT_EQ(r.bytes(), 60u);
  r.shrink_to(20);
  EXPECT_EQ(budget.used(), 20u);
  r.shrink_to(30);  // never grows
  EXPECT_EQ(r.bytes(), 20u);
  r.resize(150);  // memory that exists is counted even past the limit
  EXPECT_EQ(budget.used(), 150u);
  EXPECT_EQ(budget.available(), 0u);
  EXPECT_FALSE(budget.try_reserve(1));
  r.resize(5);
  EXPECT_EQ(budget.used(), 5u);
  r.release();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_FALSE(r.grow(1));  // a released reservation is empty for good
}

TEST(MemoryBudgetTest, ChargesCountEvenPastTheLimit) {
  memory_budget budget("responses", 10);
  auto charged = budget.charge(25);
  EXPECT_EQ(budget.used(), 25u);
  EXPECT_FALSE(budget.try_reserve(1));
  EXPECT_EQ(budget.peak(), 25u);
}

TEST(MemoryBudgetTest, ZeroLimitMeansUnlimited) {
  memory_budget budget("subscribers", 0);
  auto r = budget.try_reserve(std::size_t{1} << 40);
  ASSERT_TRUE(r);
  EXPECT_EQ(budget.refusals(), 0u);
}

TEST(MemoryBudgetTest, ConcurrentGrantsNeverExceedTheLimit) {
  memory_budget budget("requests", 1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (auto r = budget.try_reserve(7)) {
          EXPECT_LE(budget.used(), 1000u);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_LE(budget.peak(), 1000u);
}

}  // namespace
}  // namespace spate
