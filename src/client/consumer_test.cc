// consumer: every shard read, parents before children, checkpoints and restart, leases shared
// by workers of one group (with handover and expiry), KPL de-aggregation and handler
// failures - on fake_stream (in process, no server) and once against a real spated.
#include "testutil/child_process.h"
#include "testutil/eventually.h"
#include "testutil/thread_names.h"

#include <spate/client/consumer.h>
#include <spate/client/fake_stream.h>
#include <spate/client/producer.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace spate::client {
namespace {

using namespace std::chrono_literals;
using testutil::eventually;

// What a handler saw, shared by the workers of a test.
struct journal {
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, std::string>> records;  // worker, shard, data
  std::map<std::string, std::string> shard_owner;  // shards being processed now -> worker
  int overlaps = 0;                                // a shard started while another worker had it
  std::vector<std::pair<std::string, bool>> shard_events;

  batch_handler handler(const std::string& worker) {
    return [this, worker](const record_batch& b) {
      std::lock_guard lock(mu);
      for (const auto& r : b.records) records.emplace_back(worker, b.shard_id, r.data);
    };
  }
  shard_observer observer(const std::string& worker) {
    return [this, worker](const std::string& shard, bool processing) {
      std::lock_guard lock(mu);
      shard_events.emplace_back(shard, processing);
      if (processing) {
        if (shard_owner.count(shard)) ++overlaps;
        shard_owner[shard] = worker;
      } else if (shard_owner[shard] == worker) {
        shard_owner.erase(shard);
      }
    };
  }
  std::size_t distinct() {
    std::lock_guard lock(mu);
    std::set<std::string> d;
    for (auto& [w, s, data] : records) d.insert(data);
    return d.size();
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return records.size();
  }
};

std::shared_ptr<fake_stream> make_fake(int shards) {
  auto fake = std::make_shared<fake_stream>();
  create_stream_request req;
  req.stream_name = "s";
  req.shard_count = shards;
  EXPECT_TRUE(fake->create_stream(req).ok());
  return fake;
}

void put(kinesis& api, int from, int to, const std::string& prefix = "r") {
  std::vector<put_records_entry> batch;
  for (int i = from; i < to; ++i) {
    batch.push_back({"key-" + std::to_string(i % 10), prefix + std::to_string(i), ""});
    if (batch.size() == 500 || i + 1 == to) {
      auto r = api.put_records({{"s", ""}, batch});
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->failed_record_count, 0);
      batch.clear();
    }
  }
}

consumer_options fast_options(std::shared_ptr<checkpointer> store, const std::string& worker = {}) {
  consumer_options o;
  o.application = "app";
  o.stream.stream_name = "s";
  o.worker_id = worker;
  o.checkpoints = std::move(store);
  o.lease_duration = 600ms;
  o.checkpoint_interval = 50ms;
  o.shard_sync_interval = 100ms;
  o.idle_poll_interval = 10ms;
  return o;
}

TEST(Consumer, ReadsEveryShardAndCheckpoints) {
  auto fake = make_fake(4);
  put(*fake, 0, 2000);
  auto store = make_memory_checkpointer();
  journal j;
  consumer c(fake, fast_options(store), j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 2000; }));
  c.stop();
  EXPECT_EQ(j.size(), 2000u) << "records delivered twice without any failure";
  auto entries = store->list(group_key("app", "s"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  for (const auto& e : *entries) {
    EXPECT_FALSE(e.checkpoint.empty()) << e.shard_id;
    EXPECT_TRUE(e.owner.empty()) << "stop() must release " << e.shard_id;
  }
}

TEST(Consumer, NamesItsThreads) {
  auto fake = make_fake(2);
  put(*fake, 0, 10);
  journal j;
  consumer c(fake, fast_options(make_memory_checkpointer()), j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 10; }));
  // `top -H` and `perf sched` tell the coordinator and each shard's reader apart.
  const auto names = testutil::thread_names();
  c.stop();
  EXPECT_TRUE(names.count("spate-consumer")) << ::testing::PrintToString(names);
  EXPECT_TRUE(names.count("spate-rd-000000")) << ::testing::PrintToString(names);
  EXPECT_TRUE(names.count("spate-rd-000001")) << ::testing::PrintToString(names);
}

TEST(Consumer, FinishesParentsBeforeChildrenAndKeepsKeyOrder) {
  auto fake = make_fake(2);
  put(*fake, 0, 500);
  auto d = describe_stream_all(*fake, {"s", ""});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(
      fake->split_shard(
              {{"s", ""}, "shardId-000000000000", hash_key_midpoint(d->shards[0].hash_range)})
          .ok());
  put(*fake, 500, 1000);
  ASSERT_TRUE(fake->merge_shards({{"s", ""}, "shardId-000000000003", "shardId-000000000001"}).ok());
  put(*fake, 1000, 1500);

  journal j;
  auto o = fast_options(make_memory_checkpointer());
  o.on_shard = j.observer("w");
  consumer c(fake, o, j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 1500; }));
  c.stop();

  // Per key, the numbers arrive in increasing order across parent -> child.
  std::map<std::string, int> last;
  for (auto& [w, shard, data] : j.records) {
    int n = std::stoi(data.substr(1));
    std::string key = "key-" + std::to_string(n % 10);
    if (last.count(key)) {
      EXPECT_GT(n, last[key]) << key;
    }
    last[key] = n;
  }
  // A child starts only after each of its parents ended.
  std::map<std::string, std::size_t> ended_at;
  for (std::size_t i = 0; i < j.shard_events.size(); ++i) {
    if (!j.shard_events[i].second) ended_at[j.shard_events[i].first] = i;
  }
  auto started = [&](const std::string& s) {
    for (std::size_t i = 0; i < j.shard_events.size(); ++i) {
      if (j.shard_events[i].first == s && j.shard_events[i].second) return i;
    }
    return SIZE_MAX;
  };
  EXPECT_GT(started("shardId-000000000002"), ended_at["shardId-000000000000"]);
  EXPECT_GT(started("shardId-000000000004"), ended_at["shardId-000000000003"]);
  EXPECT_GT(started("shardId-000000000004"), ended_at["shardId-000000000001"]);
}

TEST(Consumer, RestartResumesFromCheckpointsWithoutGapsOrRepeats) {
  auto fake = make_fake(3);
  auto store = make_memory_checkpointer();
  put(*fake, 0, 900);
  journal first;
  {
    consumer c(fake, fast_options(store), first.handler("a"));
    c.start();
    ASSERT_TRUE(eventually([&] { return first.distinct() == 900; }));
    c.stop();
  }
  put(*fake, 900, 1200);
  journal second;
  consumer c(fake, fast_options(store), second.handler("b"));
  c.start();
  ASSERT_TRUE(eventually([&] { return second.distinct() == 300; }));
  std::this_thread::sleep_for(100ms);
  c.stop();
  EXPECT_EQ(second.size(), 300u) << "restart re-delivered checkpointed records";
  for (auto& [w, s, data] : second.records) EXPECT_GE(std::stoi(data.substr(1)), 900);
}

TEST(Consumer, WorkersShareShardsFairlyAndNeverProcessOneTogether) {
  auto fake = make_fake(6);
  auto store = make_memory_checkpointer();
  journal j;
  auto a = std::make_unique<consumer>(
      fake,
      [&] {
        auto o = fast_options(store, "a");
        o.on_shard = j.observer("a");
        return o;
      }(),
      j.handler("a"));
  a->start();
  ASSERT_TRUE(eventually([&] { return a->stats().owned_shards.size() == 6; }));
  auto b = std::make_unique<consumer>(
      fake,
      [&] {
        auto o = fast_options(store, "b");
        o.on_shard = j.observer("b");
        return o;
      }(),
      j.handler("b"));
  auto c = std::make_unique<consumer>(
      fake,
      [&] {
        auto o = fast_options(store, "c");
        o.on_shard = j.observer("c");
        return o;
      }(),
      j.handler("c"));
  b->start();
  c->start();
  // Handover until the split is fair: 2 each.
  ASSERT_TRUE(eventually([&] {
    return a->stats().owned_shards.size() == 2 && b->stats().owned_shards.size() == 2 &&
           c->stats().owned_shards.size() == 2;
  })) << a->stats().owned_shards.size()
      << " " << b->stats().owned_shards.size() << " " << c->stats().owned_shards.size();
  put(*fake, 0, 3000);
  ASSERT_TRUE(eventually([&] { return j.distinct() == 3000; }));
  EXPECT_EQ(j.overlaps, 0) << "a shard was processed by two workers at once";

  // Stopping a worker releases its leases; the others take them at once.
  c->stop();
  ASSERT_TRUE(eventually(
      [&] { return a->stats().owned_shards.size() + b->stats().owned_shards.size() == 6; }));
  put(*fake, 3000, 4000);
  ASSERT_TRUE(eventually([&] { return j.distinct() == 4000; }));
  EXPECT_EQ(j.overlaps, 0);
  a->stop();
  b->stop();
}

TEST(Consumer, ALeaseThatIsNotRenewedExpiresAndIsTaken) {
  auto fake = make_fake(2);
  auto store = make_memory_checkpointer();
  // A worker that died holding both leases: entries owned by "ghost", never renewed.
  for (const char* shard : {"shardId-000000000000", "shardId-000000000001"}) {
    shard_lease e;
    e.shard_id = shard;
    e.owner = "ghost";
    ASSERT_TRUE(*store->compare_and_set(group_key("app", "s"), e, 0));
  }
  put(*fake, 0, 100);
  journal j;
  consumer c(fake, fast_options(store, "live"), j.handler("live"));
  const auto started = std::chrono::steady_clock::now();
  c.start();
  // The upper bound is eventually()'s, generous on purpose (ctest -j on 2 busy cores): it only
  // fails a consumer that never takes an expired lease.
  ASSERT_TRUE(eventually([&] { return j.distinct() == 100; }, 30s));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 600ms) << "took a live-looking lease before it expired";
  c.stop();
}

TEST(Consumer, UnpacksKplAggregates) {
  auto fake = make_fake(2);
  {
    producer_options po;
    po.stream.stream_name = "s";
    po.aggregate = true;
    producer p(fake, po);
    for (int i = 0; i < 1000; ++i)
      (void)p.put("user-" + std::to_string(i % 7), "a" + std::to_string(i));
    p.close();
  }
  journal j;
  consumer c(fake, fast_options(make_memory_checkpointer()), j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 1000; }));
  c.stop();
  EXPECT_EQ(j.size(), 1000u);
}

TEST(Consumer, AHandlerExceptionStopsTheConsumerWithTheReason) {
  auto fake = make_fake(1);
  put(*fake, 0, 10);
  consumer c(fake, fast_options(make_memory_checkpointer()),
             [](const record_batch&) { throw std::runtime_error("handler broke"); });
  c.start();
  auto r = c.wait();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::handler_failed);
  EXPECT_EQ(r.err().message, "handler broke");
  c.stop();
}

TEST(Consumer, AnAbandonedBatchIsNeitherAFailureNorCheckpointed) {
  auto fake = make_fake(1);
  put(*fake, 0, 10);
  auto store = make_memory_checkpointer();
  std::atomic<int> calls{0};
  consumer c(fake, fast_options(store), [&](const record_batch&) {
    ++calls;
    throw batch_abandoned();
  });
  c.start();
  ASSERT_TRUE(eventually([&] { return calls.load() > 0; }));
  c.stop();
  auto r = c.wait();
  EXPECT_TRUE(r.ok()) << "giving a batch back is not a failure: " << r.err().to_string();
  auto entries = store->list(group_key("app", "s"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  const std::string& cp = entries->front().checkpoint;
  EXPECT_TRUE(cp.empty() || cp == checkpoint_trim_horizon)
      << "an abandoned batch must be read again, but the checkpoint moved to " << cp;
}

// The consumer's coordinator may retire a reader whose batch was given back before stop()
// gets to it; what that reader handled before must still be checkpointed, or the next owner
// repeats it.
TEST(Consumer, AReaderEndedByAnAbandonedBatchKeepsWhatItHandledCheckpointed) {
  auto fake = make_fake(1);
  put(*fake, 0, 20);
  auto store = make_memory_checkpointer();
  auto options = fast_options(store);
  options.max_records_per_call = 10;                    // two batches
  options.checkpoint_interval = std::chrono::hours(1);  // no checkpoint while reading
  std::mutex mu;
  std::string handled_last;  // the last sequence number of the one batch handled
  consumer c(fake, options, [&](const record_batch& batch) {
    std::lock_guard lock(mu);
    if (!handled_last.empty()) throw batch_abandoned();
    handled_last = batch.records.back().sequence_number;
  });
  c.start();
  const auto checkpoint = [&] {
    auto entries = store->list(group_key("app", "s"));
    return entries.ok() && entries->size() == 1 ? entries->front().checkpoint : std::string();
  };
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return !handled_last.empty() && checkpoint() == handled_last;
  })) << "the reader ended without checkpointing the batch it handled";
  c.stop();
  EXPECT_EQ(checkpoint(), handled_last);
}

// wait() on another thread, bounded: whether it returned within `limit`, and its result. The
// consumer is stopped either way, so a wait() that never returned on its own ends too.
std::optional<outcome<void>> wait_within(consumer& c, std::chrono::milliseconds limit) {
  auto waited = std::async(std::launch::async, [&] { return c.wait(); });
  const bool returned = waited.wait_for(limit) == std::future_status::ready;
  c.stop();
  auto result = waited.get();
  if (!returned) return std::nullopt;
  return result;
}

TEST(Consumer, FailsWhenItsStreamIsDeleted) {
  auto fake = make_fake(2);
  put(*fake, 0, 100);
  journal j;
  consumer c(fake, fast_options(make_memory_checkpointer()), j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 100; }));
  ASSERT_TRUE(fake->delete_stream({{"s", ""}, false}).ok());
  auto r = wait_within(c, 5s);
  ASSERT_TRUE(r.has_value()) << "the consumer kept spinning on a deleted stream";
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->err().code, error_code::resource_not_found);
}

client_options unreachable_client_options(const std::string& endpoint) {
  client_options co;
  co.endpoint = endpoint;
  co.retry.max_attempts = 2;
  co.connect_timeout = 500ms;
  return co;
}

TEST(Consumer, FailsOnceTheEndpointIsUnreachableForTheTimeout) {
  testutil::spated_process server;
  auto api = make_client(unreachable_client_options(server.endpoint()));
  create_stream_request req;
  req.stream_name = "s";
  req.shard_count = 1;
  ASSERT_TRUE(api->create_stream(req).ok());
  put(*api, 0, 10);
  journal j;
  auto o = fast_options(make_memory_checkpointer());
  o.unreachable_timeout = 1000ms;
  consumer c(api, o, j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 10; }));
  std::this_thread::sleep_for(1500ms);  // reachable and idle for longer than the timeout
  server.process().kill9();
  const auto killed = std::chrono::steady_clock::now();
  auto r = wait_within(c, 30s);  // generous: only a consumer that never gives up fails
  const auto took = std::chrono::steady_clock::now() - killed;
  ASSERT_TRUE(r.has_value()) << "the consumer never gave up on a dead endpoint";
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->err().code, error_code::connection) << r->err().to_string();
  EXPECT_NE(r->err().message.find("no answer from the endpoint"), std::string::npos);
  EXPECT_GE(took, 1000ms) << "gave up before the timeout";
}

TEST(Consumer, WithoutATimeoutAnUnreachableEndpointIsRetried) {
  auto api = make_client(unreachable_client_options(
      "http://127.0.0.1:" + std::to_string(testutil::free_loopback_port())));
  consumer c(api, fast_options(make_memory_checkpointer()), [](const record_batch&) {});
  c.start();
  auto r = wait_within(c, 2000ms);
  EXPECT_FALSE(r.has_value()) << "the default is to ride out an outage";
}

TEST(Consumer, StopFromInsideTheHandlerOnlyRequestsIt) {
  auto fake = make_fake(2);
  put(*fake, 0, 100);
  std::atomic<int> seen{0};
  consumer* self = nullptr;
  consumer c(fake, fast_options(make_memory_checkpointer()), [&](const record_batch& b) {
    seen += static_cast<int>(b.records.size());
    self->stop();  // must neither deadlock nor join its own thread
  });
  self = &c;
  c.start();
  EXPECT_TRUE(c.wait().ok());
  c.stop();
  EXPECT_GT(seen.load(), 0);
}

TEST(Consumer, LatestStartsWhereTheGroupFirstLookedEvenForALaterOwner) {
  auto fake = make_fake(1);
  put(*fake, 0, 50, "old");
  auto store = make_memory_checkpointer();
  auto o = fast_options(store);
  o.initial_position = start_position::latest();
  journal first;
  {
    consumer c(fake, o, first.handler("a"));
    c.start();
    ASSERT_TRUE(eventually([&] { return !c.stats().owned_shards.empty(); }));
    c.stop();  // no record seen: nothing but the start point to remember
  }
  // The start point is "LATEST:<ms>", the millisecond after the group's first look (records
  // of that millisecond itself may predate the look). Put the new records once it has come,
  // or on a fast machine they can share the look's millisecond and rightly be left out.
  auto entries = store->list(group_key("app", "s"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  const std::string start = (*entries)[0].checkpoint;
  const std::string_view prefix = checkpoint_latest_prefix;
  ASSERT_EQ(start.compare(0, prefix.size(), prefix), 0) << start;
  const std::int64_t start_ms = std::stoll(start.substr(prefix.size()));
  ASSERT_TRUE(eventually([&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() >= start_ms;
  }));
  put(*fake, 0, 30, "new");  // arrives while nobody reads
  journal second;
  consumer c(fake, o, second.handler("b"));
  c.start();
  ASSERT_TRUE(eventually([&] { return second.distinct() == 30; })) << second.distinct();
  c.stop();
  for (auto& [w, shard, data] : second.records) EXPECT_EQ(data.substr(0, 3), "new");
  EXPECT_EQ(first.size(), 0u);
}

// A checkpointer that can be switched off, as a partitioned Redis would be.
class flaky_checkpointer final : public checkpointer {
 public:
  explicit flaky_checkpointer(std::shared_ptr<checkpointer> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> down{false};
  outcome<std::vector<shard_lease>> list(const std::string& g) override {
    if (down) return error{error_code::checkpoint_store, "unreachable", 0};
    return inner_->list(g);
  }
  outcome<bool> compare_and_set(const std::string& g, const shard_lease& e,
                                std::uint64_t v) override {
    if (down) return error{error_code::checkpoint_store, "unreachable", 0};
    return inner_->compare_and_set(g, e, v);
  }
  outcome<void> clear(const std::string& g) override { return inner_->clear(g); }

 private:
  std::shared_ptr<checkpointer> inner_;
};

TEST(Consumer, AReaderStopsByItselfWhenTheStoreIsUnreachable) {
  auto fake = make_fake(1);
  auto store = std::make_shared<flaky_checkpointer>(make_memory_checkpointer());
  journal j;
  auto o = fast_options(store);
  o.on_shard = j.observer("w");
  // A long lease, so the margin between the worker's own deadline (it stops within 5/6 of a
  // lease) and the moment others may take the lease (a whole one) is a full second: scheduling
  // delays on 2 busy cores stay far below it.
  o.lease_duration = 6s;
  consumer c(fake, o, j.handler("w"));
  c.start();
  put(*fake, 0, 10);
  ASSERT_TRUE(eventually([&] { return j.distinct() == 10; }));
  store->down = true;
  const auto cut = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(j.mu);
    return j.shard_owner.empty();
  }));
  // Others may take the lease once it looks expired to them: a full lease_duration.
  EXPECT_LT(std::chrono::steady_clock::now() - cut, o.lease_duration);
  put(*fake, 10, 20);
  std::this_thread::sleep_for(200ms);  // a chance to process them, which it must not take
  EXPECT_EQ(j.distinct(), 10u) << "kept processing without a lease";
  store->down = false;  // back: the worker takes its shard again and catches up
  ASSERT_TRUE(eventually([&] { return j.distinct() == 20; }, 30s));
  c.stop();
}

TEST(Consumer, RejectsInvalidOptions) {
  auto fake = make_fake(1);
  auto noop = [](const record_batch&) {};
  consumer_options o;
  EXPECT_THROW(consumer(fake, o, noop), std::invalid_argument);
  o.application = "app";
  EXPECT_THROW(consumer(fake, o, noop), std::invalid_argument);
  o.stream.stream_name = "s";
  EXPECT_THROW(consumer(fake, o, nullptr), std::invalid_argument);
  o.max_records_per_call = 20'000;
  EXPECT_THROW(consumer(fake, o, noop), std::invalid_argument);
}

// The same client against a real spated: polling and SubscribeToShard both deliver
// everything, across a split.
class ConsumerAgainstSpated : public ::testing::TestWithParam<bool> {};

TEST_P(ConsumerAgainstSpated, DeliversEverythingAcrossASplit) {
  const bool push = GetParam();
  testutil::spated_process server;
  client_options co;
  co.endpoint = server.endpoint();
  auto api = make_client(co);
  create_stream_request req;
  req.stream_name = "s";
  req.shard_count = 2;
  ASSERT_TRUE(api->create_stream(req).ok());
  put(*api, 0, 1000);

  journal j;
  auto o = fast_options(make_memory_checkpointer());
  if (push) {
    auto summary = api->describe_stream_summary({{"s", ""}});
    ASSERT_TRUE(summary.ok());
    auto registered = api->register_stream_consumer({summary->summary.stream_arn, "efo"});
    ASSERT_TRUE(registered.ok()) << registered.err().to_string();
    o.efo_consumer_arn = registered->consumer.consumer_arn;
  }
  consumer c(api, o, j.handler("w"));
  c.start();
  ASSERT_TRUE(eventually([&] { return j.distinct() == 1000; })) << j.distinct();
  auto d = describe_stream_all(*api, {"s", ""});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(
      api->split_shard(
             {{"s", ""}, "shardId-000000000000", hash_key_midpoint(d->shards[0].hash_range)})
          .ok());
  ASSERT_TRUE(eventually([&] {
    return api->describe_stream_summary({{"s", ""}})->summary.status == stream_status::active;
  }));
  put(*api, 1000, 2000);
  ASSERT_TRUE(eventually([&] { return j.distinct() == 2000; }, 20s)) << j.distinct();
  EXPECT_EQ(c.stats().shards_finished, 1u);
  c.stop();
}

INSTANTIATE_TEST_SUITE_P(Transport, ConsumerAgainstSpated, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "SubscribeToShard" : "GetRecords";
                         });

}  // namespace
}  // namespace spate::client
