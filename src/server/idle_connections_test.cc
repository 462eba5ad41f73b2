// idle_connections_test: the longest-idle connection goes first; busy ones are never touched.
#include "server/idle_connections.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace spate::server {
namespace {

struct fake_connection : evictable {
  explicit fake_connection(int id, std::vector<int>& log) : id(id), log(log) {}
  void evict() override { log.push_back(id); }
  int id;
  std::vector<int>& log;
};

TEST(IdleConnectionsTest, EvictsTheLongestIdleFirst) {
  idle_connections idle;
  std::vector<int> evicted;
  auto a = std::make_shared<fake_connection>(1, evicted);
  auto b = std::make_shared<fake_connection>(2, evicted);
  auto c = std::make_shared<fake_connection>(3, evicted);
  auto ta = idle.enter(a);
  auto tb = idle.enter(b);
  auto tc = idle.enter(c);
  EXPECT_EQ(idle.size(), 3u);
  tb.reset();  // b's client spoke: busy, not a candidate
  ta.reset();
  ta = idle.enter(a);  // a idles again: now the newest
  EXPECT_TRUE(idle.evict_oldest());
  EXPECT_TRUE(idle.evict_oldest());
  EXPECT_FALSE(idle.evict_oldest());
  EXPECT_EQ(evicted, (std::vector<int>{3, 1}));
  EXPECT_EQ(idle.size(), 0u);
}

TEST(IdleConnectionsTest, GoneConnectionsAreSkippedAndTokensOutliveEviction) {
  idle_connections idle;
  std::vector<int> evicted;
  auto a = std::make_shared<fake_connection>(1, evicted);
  auto b = std::make_shared<fake_connection>(2, evicted);
  auto ta = idle.enter(a);
  auto tb = idle.enter(b);
  a.reset();  // destroyed without its token going first
  EXPECT_TRUE(idle.evict_oldest());
  EXPECT_EQ(evicted, std::vector<int>{2});
  tb.reset();  // already taken off by the eviction: harmless
  ta.reset();
  EXPECT_EQ(idle.size(), 0u);
}

}  // namespace
}  // namespace spate::server
