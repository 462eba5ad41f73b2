// producer: batching, retry of exactly the failed records (injected in fake_stream, and real
// throttling from spated's per-shard write limit), strict per-key order, KPL aggregation,
// bounded queue, and flush/close that never drop an accepted record.
#include "client/kpl_aggregation.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"
#include "testutil/thread_names.h"

#include <spate/client/fake_stream.h>
#include <spate/client/producer.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace spate::client {
namespace {

using namespace std::chrono_literals;

// Every record of every shard of `stream`, in shard order then sequence order.
std::vector<std::pair<std::string, record>> read_all(kinesis& api, const std::string& stream) {
  std::vector<std::pair<std::string, record>> out;
  auto d = describe_stream_all(api, {stream, ""});
  EXPECT_TRUE(d.ok());
  for (const auto& s : d->shards) {
    auto it = api.get_shard_iterator({{stream, ""}, s.shard_id, start_position::trim_horizon()});
    EXPECT_TRUE(it.ok());
    std::string iterator = it->shard_iterator;
    while (!iterator.empty()) {
      auto page = api.get_records({iterator, 10'000, ""});
      EXPECT_TRUE(page.ok()) << page.err().to_string();
      for (auto& r : page->records) out.emplace_back(s.shard_id, std::move(r));
      if (page->records.empty() && s.open()) break;  // an open shard's tip
      iterator = page->next_shard_iterator;
    }
  }
  return out;
}

std::shared_ptr<fake_stream> make_fake(const std::string& name, int shards) {
  auto fake = std::make_shared<fake_stream>();
  create_stream_request req;
  req.stream_name = name;
  req.shard_count = shards;
  EXPECT_TRUE(fake->create_stream(req).ok());
  return fake;
}

producer_options options_for(const std::string& stream) {
  producer_options o;
  o.stream.stream_name = stream;
  o.linger = 5ms;
  return o;
}

TEST(Producer, BatchesAndReportsWhereEachRecordLanded) {
  auto fake = make_fake("s", 4);
  producer p(fake, options_for("s"));
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 2000; ++i)
    futures.push_back(p.put("key-" + std::to_string(i), "data-" + std::to_string(i)));
  p.flush();
  std::set<std::string> sequences;
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready)
        << "flush returned before a record settled";
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.err().to_string();
    sequences.insert(r->shard_id + "/" + r->sequence_number);
  }
  EXPECT_EQ(sequences.size(), 2000u);
  auto stats = p.stats();
  EXPECT_EQ(stats.succeeded, 2000u);
  EXPECT_LE(stats.requests, 40u) << "records were not batched";
  EXPECT_EQ(read_all(*fake, "s").size(), 2000u);
}

TEST(Producer, NamesItsSenderThreads) {
  auto fake = make_fake("s", 1);
  auto options = options_for("s");
  options.max_in_flight = 2;
  producer p(fake, options);
  // Each sender names itself as it starts: `top -H` and `perf sched` tell them apart.
  std::set<std::string> names;
  EXPECT_TRUE(testutil::eventually([&] {
    names = testutil::thread_names();
    return names.count("spate-send-0") && names.count("spate-send-1");
  })) << ::testing::PrintToString(names);
}

TEST(Producer, RetriesOnlyTheRecordsThatFailed) {
  auto fake = make_fake("s", 2);
  std::mutex mu;
  std::set<std::string> failed_once;
  fake->inject_put_failures([&](const put_records_entry& e) {
    std::lock_guard lock(mu);
    // Every third record is throttled on its first attempt.
    return std::stoi(e.data) % 3 == 0 && failed_once.insert(e.data).second;
  });
  producer p(fake, options_for("s"));
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 900; ++i)
    futures.push_back(p.put("k" + std::to_string(i % 17), std::to_string(i)));
  p.flush();
  for (int i = 0; i < 900; ++i) {
    auto r = futures[i].get();
    ASSERT_TRUE(r.ok()) << r.err().to_string();
    EXPECT_EQ(r->attempts, i % 3 == 0 ? 2 : 1) << "record " << i;
  }
  EXPECT_EQ(p.stats().retried, 300u);
  // Stored exactly once each: the retries carried only the failed records.
  auto stored = read_all(*fake, "s");
  std::multiset<std::string> data;
  for (auto& [shard, r] : stored) data.insert(r.data);
  EXPECT_EQ(stored.size(), 900u);
  for (int i = 0; i < 900; ++i) EXPECT_EQ(data.count(std::to_string(i)), 1u);
}

TEST(Producer, OrderedModeKeepsPerKeyOrderThroughRetries) {
  auto fake = make_fake("s", 3);
  std::mt19937 rng(7);
  std::mutex mu;
  fake->inject_put_failures([&](const put_records_entry&) {
    std::lock_guard lock(mu);
    return rng() % 3 == 0;  // a third of all attempts are throttled
  });
  auto o = options_for("s");
  o.ordered = true;
  producer p(fake, o);
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 600; ++i)
    futures.push_back(p.put("key" + std::to_string(i % 5), std::to_string(i)));
  p.flush();
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  std::map<std::string, int> last;
  for (auto& [shard, r] : read_all(*fake, "s")) {
    int n = std::stoi(r.data);
    auto it = last.find(r.partition_key);
    if (it != last.end()) {
      EXPECT_GT(n, it->second) << "key " << r.partition_key << " out of order";
    }
    last[r.partition_key] = n;
  }
  EXPECT_EQ(last.size(), 5u);
}

TEST(Producer, UnorderedRetriesCanReorderWhichIsWhyOrderedModeExists) {
  // The control for the test above: the same failures without ordered mode do reorder keys,
  // so the ordered test is not passing by accident.
  auto fake = make_fake("s", 1);
  std::mt19937 rng(7);
  std::mutex mu;
  fake->inject_put_failures([&](const put_records_entry&) {
    std::lock_guard lock(mu);
    return rng() % 3 == 0;
  });
  producer p(fake, options_for("s"));
  for (int i = 0; i < 600; ++i) (void)p.put("key" + std::to_string(i % 5), std::to_string(i));
  p.flush();
  int inversions = 0;
  std::map<std::string, int> last;
  for (auto& [shard, r] : read_all(*fake, "s")) {
    int n = std::stoi(r.data);
    if (last.count(r.partition_key) && n < last[r.partition_key]) ++inversions;
    last[r.partition_key] = n;
  }
  EXPECT_GT(inversions, 0);
}

TEST(Producer, AggregatesPerShardAndTheRecordsComeBackWhole) {
  auto fake = make_fake("s", 2);
  auto o = options_for("s");
  o.aggregate = true;
  o.max_aggregate_bytes = 4096;
  producer p(fake, o);
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 3000; ++i)
    futures.push_back(p.put("user-" + std::to_string(i % 50), "event-" + std::to_string(i)));
  p.flush();
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  auto stored = read_all(*fake, "s");
  EXPECT_LT(stored.size(), 200u) << "records were not aggregated";
  std::set<std::string> seen;
  for (auto& [shard, outer] : stored) {
    // A batch with one record for a shard sends it as it is, as the KPL does.
    auto parts =
        detail::has_kpl_magic(outer.data) ? detail::deaggregate(outer) : std::vector<record>{outer};
    ASSERT_TRUE(parts.has_value()) << "an aggregate that does not decode";
    for (auto& r : *parts) {
      EXPECT_EQ(r.sequence_number, outer.sequence_number);
      int n = std::stoi(r.data.substr(6));
      EXPECT_EQ(r.partition_key, "user-" + std::to_string(n % 50));
      seen.insert(r.data);
    }
  }
  EXPECT_EQ(seen.size(), 3000u);
}

TEST(Producer, BoundedQueueFailsOrBlocks) {
  auto fake = make_fake("s", 1);
  auto o = options_for("s");
  o.linger = 10s;  // nothing is sent until flush
  o.max_batch_records = 500;
  o.max_queued_records = 10;
  o.overflow = overflow_policy::fail;
  producer p(fake, o);
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(p.put("k", "v"));
  auto over = p.put("k", "v").get();
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.err().code, error_code::queue_full);
  p.close();
  for (auto& f : futures) EXPECT_TRUE(f.get().ok()) << "close dropped an accepted record";
  auto after = p.put("k", "v").get();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.err().code, error_code::closed);
}

TEST(Producer, BlockingQueueWaitsForSpaceAndLosesNothing) {
  // The first PutRecords call is held at a gate, so the queue (queued plus in-flight records)
  // stays at its bound until the test opens it.
  auto fake = make_fake("s", 1);
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  std::atomic<int> calls_at_gate{0};
  fake->inject_put_failures([&](const put_records_entry&) {
    ++calls_at_gate;
    gate.wait();
    return false;
  });
  auto o = options_for("s");
  o.max_queued_records = 4;
  o.max_in_flight = 1;
  o.overflow = overflow_policy::block;
  producer p(fake, o);
  std::future<std::future<outcome<put_result>>> blocked;  // the put() that must wait for space
  struct opener {  // opens the gate on every way out, so nothing waits on it forever
    std::promise<void>& gate;
    bool opened = false;
    void open() {
      if (!opened) gate.set_value();
      opened = true;
    }
    ~opener() { open(); }
  } opener{open_gate};

  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 4; ++i) futures.push_back(p.put("k" + std::to_string(i), std::to_string(i)));
  blocked = std::async(std::launch::async, [&] { return p.put("k4", "4"); });
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (calls_at_gate == 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(5ms);
  ASSERT_GT(calls_at_gate.load(), 0) << "the first batch was never sent";
  EXPECT_EQ(blocked.wait_for(300ms), std::future_status::timeout)
      << "put() returned while the queue was full";
  EXPECT_EQ(p.stats().accepted, 4u);

  opener.open();  // the held batch settles, which frees its four places
  ASSERT_EQ(blocked.wait_for(5s), std::future_status::ready) << "put() stayed blocked";
  futures.push_back(blocked.get());
  for (int i = 5; i < 20; ++i) futures.push_back(p.put("k" + std::to_string(i), std::to_string(i)));
  p.flush();
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.err().to_string();
  }
  EXPECT_EQ(p.stats().accepted, 20u);
  std::multiset<std::string> data;
  for (auto& [shard, r] : read_all(*fake, "s")) data.insert(r.data);
  EXPECT_EQ(data.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(data.count(std::to_string(i)), 1u) << "record " << i;
}

TEST(Producer, InvalidRecordsAreRefusedAtOnce) {
  auto fake = make_fake("s", 1);
  producer p(fake, options_for("s"));
  EXPECT_EQ(p.put("", "x").get().err().code, error_code::validation);
  EXPECT_EQ(p.put(std::string(257, 'k'), "x").get().err().code, error_code::validation);
  EXPECT_EQ(p.put("k", std::string((1u << 20), 'x')).get().err().code, error_code::validation);
  EXPECT_EQ(p.put("k", "x", "not-a-number").get().err().code, error_code::validation);
  EXPECT_THROW(producer(fake, producer_options{}), std::invalid_argument);
}

TEST(Producer, GivesUpAfterTheTtlAndSaysWhy) {
  auto fake = make_fake("s", 1);
  fake->inject_put_failures([](const put_records_entry&) { return true; });
  auto o = options_for("s");
  o.record_ttl = 300ms;
  producer p(fake, o);
  auto r = p.put("k", "v").get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::record_expired);
  EXPECT_NE(r.err().message.find("ProvisionedThroughputExceededException"), std::string::npos);
  EXPECT_EQ(p.stats().failed, 1u);
}

TEST(Producer, NonRetryableErrorsFailTheRecordsAtOnce) {
  auto fake = std::make_shared<fake_stream>();  // no such stream
  producer p(fake, options_for("missing"));
  auto r = p.put("k", "v").get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::resource_not_found);
  EXPECT_EQ(p.stats().requests, 1u);
}

// Real throttling: spated limits each shard to 500 records/s, the producer pushes 4,000
// records through two shards as fast as it can, and every record lands exactly once.
TEST(ProducerAgainstSpated, RetriesThrottledRecordsUntilAllLandOnce) {
  testutil::spated_process server({"--shard-write-records", "500"});
  client_options co;
  co.endpoint = server.endpoint();
  auto api = make_client(co);
  create_stream_request req;
  req.stream_name = "throttled";
  req.shard_count = 2;
  ASSERT_TRUE(api->create_stream(req).ok());

  producer p(api, options_for("throttled"));
  std::vector<std::future<outcome<put_result>>> futures;
  for (int i = 0; i < 4000; ++i)
    futures.push_back(p.put("k" + std::to_string(i), std::to_string(i)));
  p.flush();
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.err().to_string();
  }
  EXPECT_GT(p.stats().retried, 0u) << "the server never throttled: the test proves nothing";
  auto stored = read_all(*api, "throttled");
  std::set<std::string> data;
  for (auto& [shard, r] : stored) data.insert(r.data);
  EXPECT_EQ(stored.size(), 4000u);
  EXPECT_EQ(data.size(), 4000u);
}

TEST(Producer, ADeliveryCallbackGetsEachAcceptedRecordOnceAndRefusalsAreReturned) {
  auto fake = make_fake("s", 2);
  producer p(fake, options_for("s"));
  std::mutex mu;
  std::map<std::string, int> delivered;
  for (int i = 0; i < 100; ++i) {
    auto accepted = p.put("k" + std::to_string(i), "d", "", [&, i](outcome<put_result> r) {
      ASSERT_TRUE(r.ok()) << r.err().to_string();
      std::lock_guard lock(mu);
      ++delivered["k" + std::to_string(i)];
    });
    ASSERT_TRUE(accepted.ok());
  }
  EXPECT_TRUE(p.flush(5000ms));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(delivered.size(), 100u);
    for (const auto& [key, n] : delivered) EXPECT_EQ(n, 1) << key;
  }
  bool called = false;
  auto refused = p.put("", "d", "", [&](outcome<put_result>) { called = true; });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().code, error_code::validation);
  p.close();
  auto closed = p.put("k", "d", "", [&](outcome<put_result>) { called = true; });
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.err().code, error_code::closed);
  EXPECT_FALSE(called) << "a refused record's callback must not run";
}

TEST(Producer, FlushWithATimeoutReportsRecordsStillUnsettledAndAFullQueueWaitsBounded) {
  auto fake = make_fake("s", 1);
  fake->inject_put_failures([](const put_records_entry&) { return true; });  // never lands
  auto o = options_for("s");
  o.max_queued_records = 1;
  producer p(fake, o);
  ASSERT_TRUE(p.put("k", "d", "", [](outcome<put_result>) {}).ok());
  EXPECT_FALSE(p.flush(50ms)) << "a record that keeps failing is not settled";
  auto full = p.put(
      "k2", "d", "", [](outcome<put_result>) {}, 20ms);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.err().code, error_code::queue_full);
  fake->inject_put_failures(nullptr);
  EXPECT_TRUE(p.flush(5000ms));
}

TEST(Producer, CloseWithATimeoutEndsRecordsThatCannotLandWithClosed) {
  auto fake = make_fake("s", 1);
  fake->inject_put_failures([](const put_records_entry& e) { return e.partition_key == "x"; });
  auto o = options_for("s");
  o.record_ttl = 1h;
  producer p(fake, o);
  std::promise<outcome<put_result>> stuck;
  std::promise<outcome<put_result>> fine;
  ASSERT_TRUE(p.put("x", "d", "", [&](outcome<put_result> r) { stuck.set_value(r); }).ok());
  ASSERT_TRUE(p.put("y", "d", "", [&](outcome<put_result> r) { fine.set_value(r); }).ok());
  p.close(100ms);
  auto s = stuck.get_future().get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().code, error_code::closed);
  EXPECT_TRUE(fine.get_future().get().ok());
  EXPECT_EQ(p.stats().queued, 0u);
}

}  // namespace
}  // namespace spate::client
