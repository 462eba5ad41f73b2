// Tests of fake_stream: the Kinesis rules an application can observe through it - routing,
// sequence numbers, iterators, GetRecords paging, resharding, injected failures, errors and
// SubscribeToShard.
#include "spate/client/fake_stream.h"

#include "testutil/read_shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace spate::client {
namespace {

const std::string max_hash_key = "340282366920938463463374607431768211455";

// Decimal strings of at most 39 digits compare as numbers once lengths are equal.
bool decimal_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string decimal_plus_one(std::string s) {
  int i = static_cast<int>(s.size()) - 1;
  while (i >= 0 && s[i] == '9') s[i--] = '0';
  if (i < 0) return "1" + s;
  ++s[i];
  return s;
}

class FakeStream : public testing::Test {
 protected:
  void SetUp() override { create("s", 4); }

  void create(const std::string& name, int shards) {
    create_stream_request req;
    req.stream_name = name;
    req.shard_count = shards;
    ASSERT_TRUE(fake_.create_stream(req).ok());
  }

  put_record_result put(const std::string& key, const std::string& data,
                        const std::string& hash_key = {}) {
    put_record_request req;
    req.stream.stream_name = "s";
    req.partition_key = key;
    req.data = data;
    req.explicit_hash_key = hash_key;
    auto r = fake_.put_record(req);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().to_string());
    return r.ok() ? *r : put_record_result{};
  }

  std::vector<shard> shards() {
    auto d = describe_stream_all(fake_, {"s", {}});
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->shards : std::vector<shard>{};
  }

  std::string iterator(const std::string& shard_id, start_position pos = {}) {
    auto it = fake_.get_shard_iterator({{"s", {}}, shard_id, std::move(pos)});
    EXPECT_TRUE(it.ok()) << (it.ok() ? "" : it.err().to_string());
    return it.ok() ? it->shard_iterator : std::string();
  }

  // Every record from `pos` to the end of the shard (or its current tip), plus the last page.
  std::vector<record> read_all(const std::string& shard_id, get_records_result* last = nullptr,
                               start_position pos = {}) {
    return testutil::read_shard(fake_, iterator(shard_id, std::move(pos)), last);
  }

  // The open shards cover [0, 2^128 - 1] exactly, without gaps or overlaps.
  void expect_open_shards_cover_key_space() {
    std::vector<hash_key_range> ranges;
    for (const auto& s : shards()) {
      if (s.open()) ranges.push_back(s.hash_range);
    }
    std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
      return decimal_less(a.starting_hash_key, b.starting_hash_key);
    });
    ASSERT_FALSE(ranges.empty());
    EXPECT_EQ(ranges.front().starting_hash_key, "0");
    EXPECT_EQ(ranges.back().ending_hash_key, max_hash_key);
    for (std::size_t i = 1; i < ranges.size(); ++i) {
      EXPECT_EQ(ranges[i].starting_hash_key, decimal_plus_one(ranges[i - 1].ending_hash_key));
    }
  }

  fake_stream fake_;
};

TEST_F(FakeStream, CreatesActiveStreamWithEvenShards) {
  auto r = fake_.describe_stream({{"s", {}}});
  ASSERT_TRUE(r.ok());
  const stream_description& d = r->description;
  EXPECT_EQ(d.status, stream_status::active);
  EXPECT_EQ(d.stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  EXPECT_FALSE(d.has_more_shards);
  ASSERT_EQ(d.shards.size(), 4u);
  EXPECT_EQ(d.shards[0].shard_id, "shardId-000000000000");
  EXPECT_EQ(d.shards[3].shard_id, "shardId-000000000003");
  EXPECT_EQ(d.shards[0].hash_range.ending_hash_key, "85070591730234615865843651857942052863");
  EXPECT_EQ(d.shards[1].hash_range.starting_hash_key, "85070591730234615865843651857942052864");
  expect_open_shards_cover_key_space();

  // Default shard count, and three shards that do not divide 2^128 evenly.
  create_stream_request req;
  req.stream_name = "default";
  ASSERT_TRUE(fake_.create_stream(req).ok());
  EXPECT_EQ(fake_.describe_stream({{"default", {}}})->description.shards.size(), 4u);
  create("three", 3);
  auto three = fake_.describe_stream({{{}, "arn:aws:kinesis:us-east-1:000000000000:stream/three"}});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->description.shards.back().hash_range.ending_hash_key, max_hash_key);

  // The summary has no shard list (its type has none); it counts the open shards.
  auto summary = fake_.describe_stream_summary({{"s", {}}});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->summary.open_shard_count, 4);

  auto list = fake_.list_streams({});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->stream_names, (std::vector<std::string>{"default", "s", "three"}));
  auto page = fake_.list_streams({1, {}, {}});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->has_more_streams);
  auto next = fake_.list_streams({5, {}, page->next_token});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->stream_names, (std::vector<std::string>{"s", "three"}));
}

TEST_F(FakeStream, SameKeyGoesToSameShardAndKeysSpread) {
  std::set<std::string> used;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const auto first = put(key, "a");
    const auto second = put(key, "b");
    EXPECT_EQ(first.shard_id, second.shard_id);
    used.insert(first.shard_id);
  }
  EXPECT_EQ(used.size(), 4u);
  // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, below 2^126: the first of four shards.
  EXPECT_EQ(put("a", "x").shard_id, "shardId-000000000000");
}

TEST_F(FakeStream, ExplicitHashKeyRoutes) {
  EXPECT_EQ(put("k", "x", "0").shard_id, "shardId-000000000000");
  EXPECT_EQ(put("k", "x", "85070591730234615865843651857942052864").shard_id,
            "shardId-000000000001");
  EXPECT_EQ(put("k", "x", max_hash_key).shard_id, "shardId-000000000003");

  put_record_request req;
  req.stream.stream_name = "s";
  req.partition_key = "k";
  req.explicit_hash_key = "340282366920938463463374607431768211456";  // 2^128
  auto r = fake_.put_record(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::invalid_argument);
}

TEST_F(FakeStream, SequenceNumbersIncreasePerShard) {
  std::map<std::string, std::string> last;
  for (int i = 0; i < 100; ++i) {
    const auto r = put("key-" + std::to_string(i % 7), "x");
    EXPECT_EQ(r.sequence_number.size(), 56u);
    auto& prev = last[r.shard_id];
    EXPECT_LT(prev, r.sequence_number);
    prev = r.sequence_number;
  }
  // Records read back in put order, with their numbers.
  const auto a = put("ordered", "1");
  const auto b = put("ordered", "2");
  const auto records = read_all(a.shard_id);
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records[records.size() - 2].sequence_number, a.sequence_number);
  EXPECT_EQ(records.back().sequence_number, b.sequence_number);
  EXPECT_EQ(records.back().data, "2");
  EXPECT_EQ(records.back().partition_key, "ordered");
  EXPECT_GT(records.back().arrival_ms, 0);
}

TEST_F(FakeStream, IteratorsOfEveryKind) {
  const std::string shard = put("k", "0").shard_id;
  std::vector<put_record_result> puts;
  for (int i = 1; i < 5; ++i) puts.push_back(put("k", std::to_string(i)));
  auto data_of = [&](start_position pos) {
    auto page = fake_.get_records({iterator(shard, std::move(pos)), std::nullopt, ""});
    EXPECT_TRUE(page.ok());
    std::string s;
    for (const auto& r : page->records) s += r.data;
    return s;
  };
  EXPECT_EQ(data_of(start_position::trim_horizon()), "01234");
  EXPECT_EQ(data_of(start_position::at_sequence(puts[1].sequence_number)), "234");
  EXPECT_EQ(data_of(start_position::after_sequence(puts[1].sequence_number)), "34");
  EXPECT_EQ(data_of(start_position::after_sequence(puts[3].sequence_number)), "");

  // LATEST sees only what comes after the iterator was taken.
  const std::string latest = iterator(shard, start_position::latest());
  put("k", "5");
  auto page = fake_.get_records({latest, std::nullopt, ""});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].data, "5");

  // AT_TIMESTAMP by arrival time: the first record arriving at or after it.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto records = read_all(shard);
  const std::int64_t after_all = records.back().arrival_ms + 1;
  put("k", "6");
  EXPECT_EQ(data_of(start_position::at_timestamp(after_all)), "6");
  EXPECT_EQ(data_of(start_position::at_timestamp(0)), "0123456");

  // The shard's starting sequence number is a valid AT/AFTER position.
  const auto first = shards()[0];
  EXPECT_TRUE(fake_
                  .get_shard_iterator({{"s", {}},
                                       first.shard_id,
                                       start_position::at_sequence(first.starting_sequence_number)})
                  .ok());

  // A sequence number of another shard is rejected.
  const std::string other_shard =
      shard == "shardId-000000000000" ? "shardId-000000000001" : "shardId-000000000000";
  auto bad = fake_.get_shard_iterator(
      {{"s", {}}, other_shard, start_position::at_sequence(puts[0].sequence_number)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().code, error_code::invalid_argument);
  auto garbage = fake_.get_records({"not an iterator", std::nullopt, ""});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.err().code, error_code::invalid_argument);
}

TEST_F(FakeStream, GetRecordsPagesWithLimit) {
  std::string shard;
  for (int i = 0; i < 25; ++i) shard = put("k", std::to_string(i)).shard_id;
  std::string it = iterator(shard);
  std::vector<std::size_t> sizes;
  std::vector<std::int64_t> behind;
  int expected = 0;
  while (true) {
    auto page = fake_.get_records({it, 10, ""});
    ASSERT_TRUE(page.ok());
    if (page->records.empty()) break;
    sizes.push_back(page->records.size());
    behind.push_back(page->millis_behind_latest);
    for (const auto& r : page->records) EXPECT_EQ(r.data, std::to_string(expected++));
    ASSERT_FALSE(page->next_shard_iterator.empty());  // open shard: never ends
    it = page->next_shard_iterator;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(behind.back(), 0);
  EXPECT_GE(behind.front(), 0);

  for (int bad : {0, 10001}) {
    auto r = fake_.get_records({it, bad, ""});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, error_code::validation);
  }
  EXPECT_TRUE(fake_.get_records({it, 10000, ""}).ok());
}

TEST_F(FakeStream, SplitThenReadParentToEndThenChildren) {
  const auto before = put("k", "before");
  const std::string parent = before.shard_id;
  shard parent_shard;
  for (const auto& s : shards()) {
    if (s.shard_id == parent) parent_shard = s;
  }
  const std::string middle = hash_key_midpoint(parent_shard.hash_range);
  split_shard_request split;
  split.stream.stream_name = "s";
  split.shard_to_split = parent;
  split.new_starting_hash_key = middle;
  ASSERT_TRUE(fake_.split_shard(split).ok());

  const auto after = put("k", "after");
  EXPECT_NE(after.shard_id, parent);
  EXPECT_LT(before.sequence_number, after.sequence_number);

  get_records_result last;
  const auto parent_records = read_all(parent, &last);
  ASSERT_EQ(parent_records.size(), 1u);
  EXPECT_EQ(parent_records[0].data, "before");
  EXPECT_TRUE(last.next_shard_iterator.empty());
  ASSERT_EQ(last.child_shards.size(), 2u);
  EXPECT_EQ(last.child_shards[0].parent_shards, (std::vector<std::string>{parent}));
  EXPECT_EQ(last.child_shards[0].hash_range.starting_hash_key,
            parent_shard.hash_range.starting_hash_key);
  EXPECT_EQ(last.child_shards[1].hash_range.starting_hash_key, middle);
  EXPECT_EQ(last.child_shards[1].hash_range.ending_hash_key,
            parent_shard.hash_range.ending_hash_key);

  bool found = false;
  for (const auto& child : last.child_shards) {
    const auto records = read_all(child.shard_id);
    if (child.shard_id == after.shard_id) {
      ASSERT_EQ(records.size(), 1u);
      EXPECT_EQ(records[0].data, "after");
      found = true;
    }
  }
  EXPECT_TRUE(found);

  // The closed parent has an ending number; children start above it.
  for (const auto& s : shards()) {
    if (s.shard_id == parent) {
      EXPECT_FALSE(s.open());
      EXPECT_LT(s.ending_sequence_number, after.sequence_number);
    } else if (s.parent_shard_id == parent) {
      EXPECT_LT(parent_shard.starting_sequence_number, s.starting_sequence_number);
    }
  }
  expect_open_shards_cover_key_space();

  // A closed shard cannot be split again; a split key outside the range is rejected.
  auto again = fake_.split_shard(split);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, error_code::invalid_argument);
  split.shard_to_split = after.shard_id;
  split.new_starting_hash_key = "0";
  auto outside = fake_.split_shard(split);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.err().code, error_code::invalid_argument);
}

TEST_F(FakeStream, MergesAdjacentShardsOnly) {
  merge_shards_request merge;
  merge.stream.stream_name = "s";
  merge.shard_to_merge = "shardId-000000000000";
  merge.adjacent_shard_to_merge = "shardId-000000000002";
  auto not_adjacent = fake_.merge_shards(merge);
  ASSERT_FALSE(not_adjacent.ok());
  EXPECT_EQ(not_adjacent.err().code, error_code::invalid_argument);

  const auto before = put("k", "x", "0");
  merge.adjacent_shard_to_merge = "shardId-000000000001";
  ASSERT_TRUE(fake_.merge_shards(merge).ok());
  const auto after = put("k", "y", "0");
  EXPECT_EQ(after.shard_id, "shardId-000000000004");

  get_records_result last;
  read_all("shardId-000000000000", &last);
  ASSERT_EQ(last.child_shards.size(), 1u);
  EXPECT_EQ(last.child_shards[0].shard_id, "shardId-000000000004");
  EXPECT_EQ(last.child_shards[0].parent_shards,
            (std::vector<std::string>{"shardId-000000000000", "shardId-000000000001"}));
  EXPECT_EQ(last.child_shards[0].hash_range.starting_hash_key, "0");
  EXPECT_EQ(last.child_shards[0].hash_range.ending_hash_key,
            "170141183460469231731687303715884105727");
  for (const auto& s : shards()) {
    if (s.shard_id == "shardId-000000000004") {
      EXPECT_EQ(s.parent_shard_id, "shardId-000000000000");
      EXPECT_EQ(s.adjacent_parent_shard_id, "shardId-000000000001");
    }
  }
  expect_open_shards_cover_key_space();
}

// Reads a stream the way a KCL-style consumer must: a shard only after all its parents ended.
// Returns each partition key's data in read order.
std::map<std::string, std::string> read_in_parent_order(fake_stream& fake,
                                                        const std::string& name) {
  auto d = describe_stream_all(fake, {name, {}});
  std::map<std::string, std::string> by_key;
  std::set<std::string> done;
  bool progress = true;
  while (progress) {
    progress = false;
    for (const auto& s : d->shards) {
      if (done.count(s.shard_id)) continue;
      if ((!s.parent_shard_id.empty() && !done.count(s.parent_shard_id)) ||
          (!s.adjacent_parent_shard_id.empty() && !done.count(s.adjacent_parent_shard_id))) {
        continue;
      }
      std::string it = fake.get_shard_iterator({{name, {}}, s.shard_id, {}})->shard_iterator;
      while (!it.empty()) {
        auto page = fake.get_records({it, std::nullopt, ""});
        for (const auto& r : page->records) by_key[r.partition_key] += r.data;
        if (page->records.empty() && !page->next_shard_iterator.empty()) break;
        it = page->next_shard_iterator;
      }
      done.insert(s.shard_id);
      progress = true;
    }
  }
  EXPECT_EQ(done.size(), d->shards.size());
  return by_key;
}

TEST_F(FakeStream, UpdateShardCountCoversKeySpaceAndKeepsOrder) {
  std::map<std::string, std::string> expected;
  int round = 0;
  auto put_round = [&] {
    for (int k = 0; k < 50; ++k) {
      const std::string key = "key-" + std::to_string(k);
      const std::string data(1, static_cast<char>('a' + round));
      put(key, data);
      expected[key] += data;
    }
    ++round;
  };
  put_round();
  // Uneven layout first, so children overlap several parents.
  split_shard_request split;
  split.stream.stream_name = "s";
  split.shard_to_split = "shardId-000000000001";
  split.new_starting_hash_key = "100000000000000000000000000000000000000";
  ASSERT_TRUE(fake_.split_shard(split).ok());
  put_round();
  for (int target : {3, 6, 12, 7, 4, 2, 1, 2}) {
    auto r = fake_.update_shard_count({{"s", {}}, target});
    ASSERT_TRUE(r.ok()) << target << ": " << r.err().to_string();
    auto summary = fake_.describe_stream_summary({{"s", {}}});
    EXPECT_EQ(summary->summary.open_shard_count, target);
    expect_open_shards_cover_key_space();
    for (const auto& s : shards()) {
      // At most two parents, and a child's parents are closed.
      if (!s.parent_shard_id.empty()) {
        for (const auto& p : shards()) {
          if (p.shard_id == s.parent_shard_id || p.shard_id == s.adjacent_parent_shard_id) {
            EXPECT_FALSE(p.open());
            EXPECT_LT(p.ending_sequence_number, s.starting_sequence_number);
          }
        }
      }
    }
    put_round();
  }
  // Reading parents before children gives every key's records in put order.
  EXPECT_EQ(read_in_parent_order(fake_, "s"), expected);

  auto too_many = fake_.update_shard_count({{"s", {}}, 5});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.err().code, error_code::limit_exceeded);
}

TEST_F(FakeStream, ListShardsPagesAndStartsAfterShardId) {
  ASSERT_TRUE(fake_.update_shard_count({{"s", {}}, 8}).ok());
  list_shards_request req;
  req.stream.stream_name = "s";
  auto all = fake_.list_shards(req);
  ASSERT_TRUE(all.ok());
  const std::size_t total = all->shards.size();
  EXPECT_EQ(total, shards().size());
  EXPECT_TRUE(all->next_token.empty());

  req.max_results = 3;
  std::vector<std::string> paged;
  auto page = fake_.list_shards(req);
  while (true) {
    ASSERT_TRUE(page.ok());
    for (const auto& s : page->shards) paged.push_back(s.shard_id);
    if (page->next_token.empty()) break;
    list_shards_request next;
    next.next_token = page->next_token;
    next.max_results = 3;
    page = fake_.list_shards(next);
  }
  EXPECT_EQ(paged.size(), total);

  list_shards_request after;
  after.stream.stream_name = "s";
  after.exclusive_start_shard_id = "shardId-000000000002";
  auto rest = fake_.list_shards(after);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->shards.size(), total - 3);
  EXPECT_EQ(rest->shards.front().shard_id, "shardId-000000000003");

  list_shards_request latest;
  latest.stream.stream_name = "s";
  latest.filter = shard_filter{shard_filter_type::at_latest, {}, 0};
  EXPECT_EQ(fake_.list_shards(latest)->shards.size(), 8u);
  latest.filter = shard_filter{shard_filter_type::at_trim_horizon, {}, 0};
  EXPECT_EQ(fake_.list_shards(latest)->shards.size(), 4u);

  list_shards_request both;
  both.stream.stream_name = "s";
  both.next_token = page->next_token.empty() ? "x" : page->next_token;
  EXPECT_EQ(fake_.list_shards(both).err().code, error_code::invalid_argument);
}

TEST_F(FakeStream, InjectedPutFailuresAreNotStored) {
  fake_.inject_put_failures([](const put_records_entry& e) { return e.data == "fail"; });
  std::vector<put_records_entry> entries = {{"k", "ok1", {}}, {"k", "fail", {}}, {"k", "ok2", {}}};
  auto r = fake_.put_records({{"s", {}}, entries});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed_record_count, 1);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_TRUE(r->records[0].ok());
  ASSERT_TRUE(r->records[1].failure.has_value());
  EXPECT_EQ(r->records[1].failure->code, error_code::provisioned_throughput_exceeded);
  EXPECT_TRUE(r->records[1].sequence_number.empty());
  EXPECT_TRUE(r->records[2].ok());
  const auto records = read_all(r->records[0].shard_id);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].data, "ok1");
  EXPECT_EQ(records[1].data, "ok2");

  // The predicate may call the fake itself (it runs without the fake's lock).
  fake_.inject_put_failures([this](const put_records_entry&) {
    EXPECT_TRUE(fake_.describe_stream_summary({{"s", {}}}).ok());
    return false;
  });
  EXPECT_EQ(fake_.put_records({{"s", {}}, entries})->failed_record_count, 0);
}

TEST_F(FakeStream, InjectedCallFailuresFailTheNextCalls) {
  fake_.inject_call_failures(2, error{error_code::internal_failure, "injected", 500});
  auto first = fake_.describe_stream({{"s", {}}});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.err().code, error_code::internal_failure);
  EXPECT_EQ(first.err().name(), "InternalFailure");
  EXPECT_EQ(first.err().http_status, 500);
  put_record_request req;
  req.stream.stream_name = "s";
  req.partition_key = "k";
  EXPECT_FALSE(fake_.put_record(req).ok());
  EXPECT_TRUE(fake_.put_record(req).ok());
  EXPECT_TRUE(fake_.describe_stream({{"s", {}}}).ok());
}

TEST_F(FakeStream, UnknownStreamsAndShardsAreNotFound) {
  auto expect_not_found = [](const error& e) {
    EXPECT_EQ(e.code, error_code::resource_not_found);
    EXPECT_EQ(e.http_status, 400);
  };
  expect_not_found(fake_.describe_stream({{"nope", {}}}).err());
  expect_not_found(
      fake_.describe_stream({{{}, "arn:aws:kinesis:us-east-1:000000000000:stream/nope"}}).err());
  put_record_request put_req;
  put_req.stream.stream_name = "nope";
  put_req.partition_key = "k";
  expect_not_found(fake_.put_record(put_req).err());
  expect_not_found(fake_.put_records({{"nope", {}}, {{"k", "d", {}}}}).err());
  expect_not_found(fake_.get_shard_iterator({{"nope", {}}, "shardId-000000000000", {}}).err());
  expect_not_found(fake_.get_shard_iterator({{"s", {}}, "shardId-000000000099", {}}).err());
  expect_not_found(fake_.delete_stream({{"nope", {}}, false}).err());
  expect_not_found(fake_.list_tags_for_stream({{"nope", {}}}).err());
  expect_not_found(fake_.update_shard_count({{"nope", {}}, 2}).err());

  // An iterator of a deleted stream stays invalid after the name is reused.
  const std::string it = iterator("shardId-000000000000");
  ASSERT_TRUE(fake_.delete_stream({{"s", {}}, false}).ok());
  expect_not_found(fake_.get_records({it, std::nullopt, ""}).err());
  create("s", 4);
  expect_not_found(fake_.get_records({it, std::nullopt, ""}).err());

  create_stream_request dup;
  dup.stream_name = "s";
  EXPECT_EQ(fake_.create_stream(dup).err().code, error_code::resource_in_use);
  create_stream_request huge;
  huge.stream_name = "huge";
  huge.shard_count = 100000;
  EXPECT_EQ(fake_.create_stream(huge).err().code, error_code::limit_exceeded);
}

TEST_F(FakeStream, TagsAndRetention) {
  ASSERT_TRUE(fake_.add_tags_to_stream({{"s", {}}, {{"a", "1"}, {"b", "2"}}}).ok());
  ASSERT_TRUE(fake_.remove_tags_from_stream({{"s", {}}, {"a"}}).ok());
  const std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  ASSERT_TRUE(fake_.tag_resource({arn, {{"c", "3"}}}).ok());
  EXPECT_EQ(*list_tags_for_stream_all(fake_, {"s", {}}),
            (std::map<std::string, std::string>{{"b", "2"}, {"c", "3"}}));
  ASSERT_TRUE(fake_.untag_resource({arn, {"b"}}).ok());
  EXPECT_EQ(fake_.list_tags_for_resource({arn})->tags,
            (std::map<std::string, std::string>{{"c", "3"}}));

  EXPECT_EQ(fake_.increase_stream_retention_period({{"s", {}}, 12}).err().code,
            error_code::invalid_argument);
  ASSERT_TRUE(fake_.increase_stream_retention_period({{"s", {}}, 48}).ok());
  EXPECT_EQ(fake_.describe_stream_summary({{"s", {}}})->summary.retention_period_hours, 48);
  EXPECT_EQ(fake_.increase_stream_retention_period({{"s", {}}, 30}).err().code,
            error_code::invalid_argument);
  EXPECT_EQ(fake_.decrease_stream_retention_period({{"s", {}}, 72}).err().code,
            error_code::invalid_argument);
  ASSERT_TRUE(fake_.decrease_stream_retention_period({{"s", {}}, 24}).ok());
  EXPECT_EQ(fake_.increase_stream_retention_period({{"s", {}}, 9000}).err().code,
            error_code::invalid_argument);
  auto l = fake_.describe_limits({});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->open_shard_count, 4);
  EXPECT_GT(l->shard_limit, 4);
}

TEST_F(FakeStream, ConsumersRegisterDescribeListDeregister) {
  const std::string stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  auto registered = fake_.register_stream_consumer({stream_arn, "app"});
  ASSERT_TRUE(registered.ok());
  const consumer_description& c = registered->consumer;
  EXPECT_EQ(c.status, consumer_status::creating);  // as AWS (and spated) answer
  EXPECT_EQ(fake_.describe_stream_consumer({{}, {}, c.consumer_arn})->consumer.status,
            consumer_status::active);
  EXPECT_EQ(c.consumer_arn.rfind(stream_arn + "/consumer/app:", 0), 0u);
  EXPECT_EQ(fake_.register_stream_consumer({stream_arn, "app"}).err().code,
            error_code::resource_in_use);
  EXPECT_EQ(fake_.describe_stream_consumer({{}, {}, c.consumer_arn})->consumer.consumer_name,
            "app");
  EXPECT_EQ(fake_.describe_stream_consumer({stream_arn, "app", {}})->consumer.consumer_arn,
            c.consumer_arn);
  EXPECT_EQ(fake_.list_stream_consumers({stream_arn, {}})->consumers.size(), 1u);
  EXPECT_EQ(fake_.delete_stream({{"s", {}}, false}).err().code, error_code::resource_in_use);
  ASSERT_TRUE(fake_.deregister_stream_consumer({{}, {}, c.consumer_arn}).ok());
  EXPECT_EQ(fake_.describe_stream_consumer({{}, {}, c.consumer_arn}).err().code,
            error_code::resource_not_found);
}

TEST_F(FakeStream, SubscribeToShardDeliversRecords) {
  const std::string stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  const std::string consumer =
      fake_.register_stream_consumer({stream_arn, "app"})->consumer.consumer_arn;
  std::string shard;
  for (int i = 0; i < 2500; ++i) shard = put("k", std::to_string(i)).shard_id;

  std::vector<subscribe_to_shard_event> events;
  auto r = fake_.subscribe_to_shard({consumer, shard, {}, [&](const subscribe_to_shard_event& e) {
                                       events.push_back(e);
                                       return true;
                                     }});
  ASSERT_TRUE(r.ok());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(static_cast<std::size_t>(r->events), events.size());
  std::vector<record> records;
  for (const auto& e : events) records.insert(records.end(), e.records.begin(), e.records.end());
  ASSERT_EQ(records.size(), 2500u);
  for (int i = 0; i < 2500; ++i) EXPECT_EQ(records[i].data, std::to_string(i));
  EXPECT_TRUE(events.back().records.empty());
  EXPECT_EQ(events.back().continuation_sequence_number, records.back().sequence_number);
  EXPECT_TRUE(events.back().child_shards.empty());

  // From a continuation number: only the rest.
  std::size_t later = 0;
  ASSERT_TRUE(
      fake_
          .subscribe_to_shard({consumer, shard,
                               start_position::after_sequence(records[2399].sequence_number),
                               [&](const subscribe_to_shard_event& e) {
                                 later += e.records.size();
                                 return true;
                               }})
          .ok());
  EXPECT_EQ(later, 100u);

  // A closed, fully read shard ends with its children; the handler can call the fake.
  split_shard_request split;
  split.stream.stream_name = "s";
  split.shard_to_split = shard;
  for (const auto& s : shards()) {
    if (s.shard_id == shard) {
      split.new_starting_hash_key =
          decimal_plus_one(decimal_plus_one(s.hash_range.starting_hash_key));
    }
  }
  ASSERT_TRUE(fake_.split_shard(split).ok());
  subscribe_to_shard_event last;
  ASSERT_TRUE(fake_
                  .subscribe_to_shard({consumer, shard, start_position::latest(),
                                       [&](const subscribe_to_shard_event& e) {
                                         last = e;
                                         EXPECT_TRUE(fake_.describe_stream({{"s", {}}}).ok());
                                         return true;
                                       }})
                  .ok());
  EXPECT_TRUE(last.continuation_sequence_number.empty());
  EXPECT_EQ(last.child_shards.size(), 2u);

  EXPECT_EQ(fake_
                .subscribe_to_shard({stream_arn + "/consumer/nope:1",
                                     shard,
                                     {},
                                     [](const subscribe_to_shard_event&) { return true; }})
                .err()
                .code,
            error_code::resource_not_found);
}

TEST_F(FakeStream, ConcurrentPutsKeepPerShardOrder) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 200; ++i) put("thread-" + std::to_string(t), std::to_string(i));
    });
  }
  for (auto& th : threads) th.join();
  std::map<std::string, int> next;
  for (const auto& s : shards()) {
    for (const auto& r : read_all(s.shard_id)) {
      EXPECT_EQ(r.data, std::to_string(next[r.partition_key]++));
    }
  }
  EXPECT_EQ(next.size(), 4u);
}

}  // namespace
}  // namespace spate::client
