// The conformance suite: the same Kinesis scenarios, run against the client's fake_stream and
// against a real spated through the network client. Every assertion holds for both, so a
// user's unit test written against the fake behaves the same against the server: routing,
// every iterator type, paging, split, merge, UpdateShardCount's lineage, ChildShards at a
// shard's end, retention, tags, consumers, and the codes and exact messages of the errors for
// bad input. What legitimately differs (sequence-number values, timestamps) is compared by the
// properties Kinesis promises: order, and parents ending before their children start.
#include "common/uint128.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"
#include "testutil/read_shard.h"

#include <spate/client/client.h>
#include <spate/client/fake_stream.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;

namespace spate::client {
namespace {

constexpr const char* account = "000000000000";

// ---- the two implementations ---------------------------------------------------------------

struct fake_backend {
  static constexpr const char* name = "fake_stream";
  fake_stream api;
};

struct spated_backend {
  static constexpr const char* name = "spated";
  testutil::spated_process server;
  std::shared_ptr<kinesis> api_ptr = [this] {
    client_options o;
    o.endpoint = server.endpoint();
    o.region = "us-east-1";
    o.creds = {"spate", "spate", {}};
    o.retry.max_attempts = 1;  // a refusal is the answer under test, never retried away
    return make_client(o);
  }();
  kinesis& api = *api_ptr;
};

struct backend_names {
  template <class T>
  static std::string GetName(int) {
    return T::name;
  }
};

// ---- helpers --------------------------------------------------------------------------------

// Sequence numbers of one implementation compare as numbers: by length, then text.
bool sequence_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string shard_of_key(const std::vector<shard>& open, const std::string& key) {
  const uint128 hash = rulebook::partition_key_hash(key);
  for (const auto& s : open) {
    if (*parse_uint128(s.hash_range.starting_hash_key) <= hash &&
        hash <= *parse_uint128(s.hash_range.ending_hash_key)) {
      return s.shard_id;
    }
  }
  return {};
}

template <class Backend>
class Conformance : public testing::Test {
 protected:
  static void SetUpTestSuite() { backend_ = std::make_unique<Backend>(); }
  static void TearDownTestSuite() { backend_.reset(); }
  void TearDown() override {
    for (const auto& name : created_) (void)api().delete_stream({{name, {}}, true});
  }

  kinesis& api() { return backend_->api; }

  // A new ACTIVE stream of `shards` shards, deleted after the test.
  std::string stream(int shards) {
    static std::atomic<int> counter{0};
    const std::string name = std::string("conformance-") + std::to_string(++counter);
    create_stream_request req;
    req.stream_name = name;
    req.shard_count = shards;
    const auto created = api().create_stream(req);
    EXPECT_TRUE(created.ok()) << created.err().to_string();
    created_.push_back(name);
    EXPECT_TRUE(testutil::eventually([&] {
      auto d = api().describe_stream_summary({{name, {}}});
      return d.ok() && d->summary.status == stream_status::active;
    })) << name
        << " never became ACTIVE";
    return name;
  }

  std::string arn(const std::string& name) {
    return rulebook::stream_arn("us-east-1", account, name);
  }

  std::vector<shard> shards(const std::string& name) {
    auto d = describe_stream_all(api(), {name, {}});
    EXPECT_TRUE(d.ok()) << d.err().to_string();
    return d.ok() ? d->shards : std::vector<shard>{};
  }

  std::vector<shard> open_shards(const std::string& name) {
    auto all = shards(name);
    std::erase_if(all, [](const shard& s) { return !s.open(); });
    return all;
  }

  put_record_result put(const std::string& name, const std::string& key, const std::string& data,
                        const std::string& hash_key = {}) {
    put_record_request req;
    req.stream.stream_name = name;
    req.partition_key = key;
    req.data = data;
    req.explicit_hash_key = hash_key;
    auto r = api().put_record(req);
    EXPECT_TRUE(r.ok()) << r.err().to_string();
    return r.ok() ? *r : put_record_result{};
  }

  std::string iterator(const std::string& name, const std::string& shard_id,
                       start_position position) {
    auto it = api().get_shard_iterator({{name, {}}, shard_id, std::move(position)});
    EXPECT_TRUE(it.ok()) << it.err().to_string();
    return it.ok() ? it->shard_iterator : std::string();
  }

  // Every record from `position` to the shard's end (or its tip), and the last answer.
  std::vector<record> read(const std::string& name, const std::string& shard_id,
                           start_position position, get_records_result* last = nullptr) {
    return testutil::read_shard(api(), iterator(name, shard_id, std::move(position)), last);
  }

  // The call failed with the error AWS names `name` (its code and that name) and exactly
  // `message`.
  template <class T>
  void expect_error(const outcome<T>& r, const std::string& name, const std::string& message) {
    ASSERT_FALSE(r.ok()) << "expected " << name;
    const error_code code = parse_error_code(name);
    ASSERT_NE(code, error_code::unknown) << name << " is no error_code";
    EXPECT_EQ(r.err().code, code) << r.err().to_string();
    EXPECT_EQ(r.err().name(), name) << r.err().message;
    EXPECT_EQ(r.err().message, message);
    EXPECT_EQ(r.err().http_status, 400);
  }

  static inline std::unique_ptr<Backend> backend_;
  std::vector<std::string> created_;
};

using backends = testing::Types<fake_backend, spated_backend>;
TYPED_TEST_SUITE(Conformance, backends, backend_names);

// ---- streams ----------------------------------------------------------------------------------

TYPED_TEST(Conformance, CreateGivesEvenShardsAndTheAwsShape) {
  const auto name = this->stream(3);
  auto page = this->api().describe_stream({{name, {}}});
  ASSERT_TRUE(page.ok()) << page.err().to_string();
  const stream_description& d = page->description;
  EXPECT_EQ(d.stream_name, name);
  EXPECT_EQ(d.stream_arn, this->arn(name));
  EXPECT_EQ(d.status, stream_status::active);
  EXPECT_EQ(d.mode, stream_mode::provisioned);
  EXPECT_EQ(d.retention_period_hours, 24);
  EXPECT_EQ(d.encryption, encryption_type::none);
  EXPECT_FALSE(d.has_more_shards);
  const auto ranges = rulebook::split_evenly(3);
  ASSERT_EQ(d.shards.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& s = d.shards[i];
    EXPECT_EQ(s.shard_id, rulebook::shard_id(static_cast<rulebook::shard_index>(i)));
    EXPECT_EQ(s.hash_range.starting_hash_key, to_decimal(ranges[i].start));
    EXPECT_EQ(s.hash_range.ending_hash_key, to_decimal(ranges[i].end));
    EXPECT_TRUE(s.parent_shard_id.empty() && s.adjacent_parent_shard_id.empty());
    EXPECT_TRUE(s.open());
  }
  auto summary = this->api().describe_stream_summary({{name, {}}});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->summary.open_shard_count, 3);
  // By ARN as by name.
  auto by_arn = this->api().describe_stream({{{}, this->arn(name)}});
  ASSERT_TRUE(by_arn.ok()) << by_arn.err().to_string();
  EXPECT_EQ(by_arn->description.stream_name, name);
}

TYPED_TEST(Conformance, ListShardsPagesAndStartsAfterAShard) {
  const auto name = this->stream(5);
  list_shards_request first;
  first.stream.stream_name = name;
  first.max_results = 2;
  auto page = this->api().list_shards(first);
  ASSERT_TRUE(page.ok()) << page.err().to_string();
  ASSERT_EQ(page->shards.size(), 2u);
  EXPECT_FALSE(page->next_token.empty());
  std::vector<std::string> ids;
  for (const auto& s : page->shards) ids.push_back(s.shard_id);
  while (!page->next_token.empty()) {
    list_shards_request next;
    next.next_token = page->next_token;
    next.max_results = 2;
    page = this->api().list_shards(next);
    ASSERT_TRUE(page.ok()) << page.err().to_string();
    for (const auto& s : page->shards) ids.push_back(s.shard_id);
  }
  EXPECT_EQ(ids.size(), 5u);
  list_shards_request after;
  after.stream.stream_name = name;
  after.exclusive_start_shard_id = rulebook::shard_id(2);
  auto rest = this->api().list_shards(after);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->shards.size(), 2u);
  EXPECT_EQ(rest->shards[0].shard_id, rulebook::shard_id(3));
}

// ---- records ----------------------------------------------------------------------------------

TYPED_TEST(Conformance, PutsRouteByMd5AndByExplicitHashKey) {
  const auto name = this->stream(4);
  const auto open = this->open_shards(name);
  for (const std::string key : {"a", "user-17", "k", "another key"}) {
    EXPECT_EQ(this->put(name, key, "x").shard_id, shard_of_key(open, key)) << key;
  }
  EXPECT_EQ(this->put(name, "k", "x", "0").shard_id, rulebook::shard_id(0));
  EXPECT_EQ(this->put(name, "k", "x", to_decimal(uint128_max)).shard_id, rulebook::shard_id(3));

  std::vector<put_records_entry> batch;
  for (int i = 0; i < 20; ++i) batch.push_back({"key-" + std::to_string(i), "v", {}});
  auto r = this->api().put_records({{name, {}}, batch});
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->failed_record_count, 0);
  ASSERT_EQ(r->records.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(r->records[i].shard_id, shard_of_key(open, batch[i].partition_key));
    EXPECT_FALSE(r->records[i].sequence_number.empty());
    EXPECT_TRUE(r->records[i].ok());
  }
}

TYPED_TEST(Conformance, EveryIteratorTypeStartsWhereKinesisSays) {
  const auto name = this->stream(1);
  const std::string shard = rulebook::shard_id(0);
  std::vector<put_record_result> put;
  for (int i = 0; i < 5; ++i) put.push_back(this->put(name, "k", "r" + std::to_string(i)));
  for (std::size_t i = 1; i < put.size(); ++i) {
    EXPECT_TRUE(sequence_less(put[i - 1].sequence_number, put[i].sequence_number));
  }
  auto data = [](const std::vector<record>& rs) {
    std::vector<std::string> out;
    for (const auto& r : rs) out.push_back(r.data);
    return out;
  };
  using v = std::vector<std::string>;
  EXPECT_EQ(data(this->read(name, shard, start_position::trim_horizon())),
            (v{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(data(this->read(name, shard, start_position::at_sequence(put[2].sequence_number))),
            (v{"r2", "r3", "r4"}));
  EXPECT_EQ(data(this->read(name, shard, start_position::after_sequence(put[2].sequence_number))),
            (v{"r3", "r4"}));
  EXPECT_EQ(data(this->read(name, shard, start_position::at_timestamp(0))),
            (v{"r0", "r1", "r2", "r3", "r4"}));
  const std::string latest = this->iterator(name, shard, start_position::latest());
  this->put(name, "k", "r5");
  auto after = this->api().get_records({latest, std::nullopt, {}});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->records.size(), 1u);
  EXPECT_EQ(after->records[0].data, "r5");
  EXPECT_EQ(after->records[0].partition_key, "k");
  EXPECT_FALSE(after->next_shard_iterator.empty());
}

TYPED_TEST(Conformance, GetRecordsPagesByLimit) {
  const auto name = this->stream(1);
  for (int i = 0; i < 7; ++i) this->put(name, "k", std::to_string(i));
  std::string it = this->iterator(name, rulebook::shard_id(0), start_position::trim_horizon());
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 4; ++i) {
    auto page = this->api().get_records({it, 3, {}});
    ASSERT_TRUE(page.ok());
    sizes.push_back(page->records.size());
    it = page->next_shard_iterator;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1, 0}));
}

// ---- resharding -------------------------------------------------------------------------------

TYPED_TEST(Conformance, SplitClosesTheParentAndItsEndNamesTheChildren) {
  const auto name = this->stream(1);
  this->put(name, "before", "p");
  const auto parent = this->shards(name)[0];
  const std::string middle = hash_key_midpoint(parent.hash_range);
  ASSERT_TRUE(this->api().split_shard({{name, {}}, parent.shard_id, middle}).ok());
  const auto all = this->shards(name);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0].open());
  EXPECT_FALSE(all[0].ending_sequence_number.empty());
  for (int i : {1, 2}) {
    EXPECT_EQ(all[i].shard_id, rulebook::shard_id(i));
    EXPECT_EQ(all[i].parent_shard_id, parent.shard_id);
    EXPECT_TRUE(all[i].adjacent_parent_shard_id.empty());
    EXPECT_TRUE(all[i].open());
    EXPECT_TRUE(sequence_less(all[0].ending_sequence_number, all[i].starting_sequence_number));
  }
  EXPECT_EQ(all[1].hash_range.starting_hash_key, parent.hash_range.starting_hash_key);
  EXPECT_EQ(all[2].hash_range.starting_hash_key, middle);
  EXPECT_EQ(all[2].hash_range.ending_hash_key, parent.hash_range.ending_hash_key);

  get_records_result last;
  const auto records = this->read(name, parent.shard_id, start_position::trim_horizon(), &last);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].data, "p");
  EXPECT_TRUE(last.next_shard_iterator.empty()) << "a closed shard read to its end";
  ASSERT_EQ(last.child_shards.size(), 2u);
  for (const auto& child : last.child_shards) {
    EXPECT_EQ(child.parent_shards, std::vector<std::string>{parent.shard_id});
  }
  EXPECT_EQ(last.child_shards[0].shard_id, rulebook::shard_id(1));
  EXPECT_EQ(last.child_shards[1].shard_id, rulebook::shard_id(2));
}

TYPED_TEST(Conformance, MergeNamesBothParentsAndRefusesNonAdjacentShards) {
  const auto name = this->stream(3);
  auto refused =
      this->api().merge_shards({{name, {}}, rulebook::shard_id(0), rulebook::shard_id(2)});
  this->expect_error(refused, "InvalidArgumentException",
                     "Shards shardId-000000000000 and shardId-000000000002 in stream " + name +
                         " under account 000000000000 are not an adjacent pair of shards "
                         "eligible for merging");
  ASSERT_TRUE(
      this->api().merge_shards({{name, {}}, rulebook::shard_id(1), rulebook::shard_id(0)}).ok());
  const auto all = this->shards(name);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].shard_id, rulebook::shard_id(3));
  EXPECT_EQ(all[3].parent_shard_id, rulebook::shard_id(1));
  EXPECT_EQ(all[3].adjacent_parent_shard_id, rulebook::shard_id(0));
  EXPECT_EQ(all[3].hash_range.starting_hash_key, "0");
  EXPECT_EQ(all[3].hash_range.ending_hash_key, all[1].hash_range.ending_hash_key);
  auto again = this->api().merge_shards({{name, {}}, rulebook::shard_id(0), rulebook::shard_id(3)});
  this->expect_error(again, "InvalidArgumentException",
                     "Shard shardId-000000000000 in stream " + name +
                         " under account 000000000000 has already been merged or split, and "
                         "thus is not eligible for merging");
}

TYPED_TEST(Conformance, UpdateShardCountBuildsTheSameLineage) {
  const auto name = this->stream(2);
  auto scaled = this->api().update_shard_count({{name, {}}, 3});
  ASSERT_TRUE(scaled.ok()) << scaled.err().to_string();
  EXPECT_EQ(scaled->current_shard_count, 2);
  EXPECT_EQ(scaled->target_shard_count, 3);
  const auto all = this->shards(name);
  // Splits of 0 (into 2, 3) and 1 (into 4, 5), then 3 and 4 merged into 6.
  ASSERT_EQ(all.size(), 7u);
  const std::vector<std::pair<std::string, std::string>> parents = {
      {"", ""},
      {"", ""},
      {rulebook::shard_id(0), ""},
      {rulebook::shard_id(0), ""},
      {rulebook::shard_id(1), ""},
      {rulebook::shard_id(1), ""},
      {rulebook::shard_id(3), rulebook::shard_id(4)}};
  const auto targets = rulebook::split_evenly(3);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].shard_id, rulebook::shard_id(static_cast<rulebook::shard_index>(i)));
    EXPECT_EQ(all[i].parent_shard_id, parents[i].first) << i;
    EXPECT_EQ(all[i].adjacent_parent_shard_id, parents[i].second) << i;
  }
  std::vector<std::string> open;
  for (const auto& s : all) {
    if (s.open()) open.push_back(s.shard_id);
  }
  EXPECT_EQ(open, (std::vector<std::string>{rulebook::shard_id(2), rulebook::shard_id(5),
                                            rulebook::shard_id(6)}));
  EXPECT_EQ(all[6].hash_range.starting_hash_key, to_decimal(targets[1].start));
  EXPECT_EQ(all[6].hash_range.ending_hash_key, to_decimal(targets[1].end));

  this->expect_error(this->api().update_shard_count({{name, {}}, 7}), "LimitExceededException",
                     "UpdateShardCount cannot scale up over double your current open shard "
                     "count. Current open shard count: 3, Target shard count: 7");
  this->expect_error(this->api().update_shard_count({{name, {}}, 1}), "LimitExceededException",
                     "UpdateShardCount cannot scale down below half your current open shard "
                     "count. Current open shard count: 3, Target shard count: 1");
}

TYPED_TEST(Conformance, SplitRefusesAKeyOutsideTheShard) {
  const auto name = this->stream(2);
  const auto first = this->shards(name)[0];
  auto refused = this->api().split_shard({{name, {}}, first.shard_id, "1"});
  this->expect_error(refused, "InvalidArgumentException",
                     "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in "
                     "stream " +
                         name +
                         " under account 000000000000 is not both greater than "
                         "one plus the shard's StartingHashKey 0 and less than the shard's "
                         "EndingHashKey " +
                         first.hash_range.ending_hash_key + ".");
}

// ---- retention, tags, consumers ---------------------------------------------------------------

TYPED_TEST(Conformance, RetentionMovesOneWayAtATimeWithinItsBounds) {
  const auto name = this->stream(1);
  ASSERT_TRUE(this->api().increase_stream_retention_period({{name, {}}, 48}).ok());
  EXPECT_EQ(this->api().describe_stream_summary({{name, {}}})->summary.retention_period_hours, 48);
  this->expect_error(this->api().increase_stream_retention_period({{name, {}}, 30}),
                     "InvalidArgumentException",
                     "Requested retention period (30 hours) for stream " + name +
                         " can not be shorter than existing retention period (48 hours). Use "
                         "DecreaseRetentionPeriod API.");
  this->expect_error(this->api().decrease_stream_retention_period({{name, {}}, 72}),
                     "InvalidArgumentException",
                     "Requested retention period (72 hours) for stream " + name +
                         " can not be longer than existing retention period (48 hours). Use "
                         "IncreaseRetentionPeriod API.");
  this->expect_error(this->api().decrease_stream_retention_period({{name, {}}, 12}),
                     "InvalidArgumentException",
                     "Minimum allowed retention period is 24 hours. Requested retention period "
                     "(12 hours) is too short.");
  ASSERT_TRUE(this->api().decrease_stream_retention_period({{name, {}}, 24}).ok());
  EXPECT_EQ(this->api().describe_stream_summary({{name, {}}})->summary.retention_period_hours, 24);
}

TYPED_TEST(Conformance, TagsAddListRemoveAndStopAtFifty) {
  const auto name = this->stream(1);
  ASSERT_TRUE(
      this->api().add_tags_to_stream({{name, {}}, {{"team", "data"}, {"env", "test"}}}).ok());
  ASSERT_TRUE(this->api().remove_tags_from_stream({{name, {}}, {"env"}}).ok());
  auto tags = list_tags_for_stream_all(this->api(), {name, {}});
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (std::map<std::string, std::string>{{"team", "data"}}));
  std::map<std::string, std::string> many;
  for (int i = 0; i < 50; ++i) many["k" + std::to_string(i)] = "v";
  this->expect_error(this->api().add_tags_to_stream({{name, {}}, many}), "InvalidArgumentException",
                     "Failed to add tags to stream " + name +
                         " under account 000000000000 because a given stream cannot have more "
                         "than 50 tags associated with it.");
  EXPECT_EQ(list_tags_for_stream_all(this->api(), {name, {}})->size(), 1u)
      << "a refused call changes nothing";
}

TYPED_TEST(Conformance, ConsumersRegisterDescribeListAndDeregister) {
  const auto name = this->stream(1);
  const std::string stream_arn = this->arn(name);
  auto registered = this->api().register_stream_consumer({stream_arn, "billing"});
  ASSERT_TRUE(registered.ok()) << registered.err().to_string();
  const consumer_description& c = registered->consumer;
  EXPECT_EQ(c.consumer_name, "billing");
  EXPECT_EQ(c.status, consumer_status::creating) << "AWS answers CREATING; ACTIVE comes after";
  EXPECT_EQ(c.consumer_arn.rfind(stream_arn + "/consumer/billing:", 0), 0u);
  ASSERT_TRUE(testutil::eventually([&] {
    auto d = this->api().describe_stream_consumer({{}, {}, c.consumer_arn});
    EXPECT_TRUE(d.ok()) << d.err().to_string();
    return !d.ok() || d->consumer.status == consumer_status::active;
  }));
  auto by_name = this->api().describe_stream_consumer({stream_arn, "billing", {}});
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->consumer.consumer_arn, c.consumer_arn);
  EXPECT_EQ(by_name->consumer.status, consumer_status::active);
  this->expect_error(
      this->api().register_stream_consumer({stream_arn, "billing"}), "ResourceInUseException",
      "Consumer billing under stream " + name + " already exists for account 000000000000.");
  auto listed = this->api().list_stream_consumers({stream_arn, {}});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->consumers.size(), 1u);
  EXPECT_EQ(listed->consumers[0].consumer_name, "billing");
  ASSERT_TRUE(this->api().deregister_stream_consumer({{}, {}, c.consumer_arn}).ok());
  std::optional<error> gone;
  ASSERT_TRUE(testutil::eventually([&] {
    auto d = this->api().describe_stream_consumer({stream_arn, "billing", {}});
    if (!d.ok()) gone = d.err();
    return gone.has_value();
  })) << "the consumer was never gone";
  EXPECT_EQ(gone->code, error_code::resource_not_found) << gone->to_string();
  EXPECT_EQ(gone->name(), "ResourceNotFoundException");
  EXPECT_EQ(gone->message,
            "Consumer billing under stream " + name + " not found for account 000000000000.");
}

// ---- errors for bad input -----------------------------------------------------------------------

TYPED_TEST(Conformance, MissingThingsAreNotFoundWithAwsMessages) {
  const std::string ghost = "conformance-ghost";
  this->expect_error(this->api().describe_stream({{ghost, {}}}), "ResourceNotFoundException",
                     "Stream conformance-ghost under account 000000000000 not found.");
  put_record_request put;
  put.stream.stream_name = ghost;
  put.partition_key = "k";
  put.data = "x";
  this->expect_error(this->api().put_record(put), "ResourceNotFoundException",
                     "Stream conformance-ghost under account 000000000000 not found.");
  this->expect_error(
      this->api().get_shard_iterator({{ghost, {}}, "2147483647", start_position::latest()}),
      "ResourceNotFoundException",
      "Shard shardId-002147483647 in stream conformance-ghost under account 000000000000 does "
      "not exist");
  const auto name = this->stream(2);
  this->expect_error(
      this->api().get_shard_iterator({{name, {}}, rulebook::shard_id(7), start_position::latest()}),
      "ResourceNotFoundException",
      "Shard shardId-000000000007 in stream " + name +
          " under account 000000000000 does not "
          "exist");
  create_stream_request again;
  again.stream_name = name;
  again.shard_count = 1;
  this->expect_error(this->api().create_stream(again), "ResourceInUseException",
                     "Stream " + name + " under account 000000000000 already exists.");
}

TYPED_TEST(Conformance, BadRecordsAreRefusedAsAwsRefusesThem) {
  const auto name = this->stream(1);
  put_record_request put;
  put.stream.stream_name = name;
  put.partition_key = "k";
  put.data = "x";
  put.explicit_hash_key = "340282366920938463463374607431768211456";  // 2^128
  this->expect_error(this->api().put_record(put), "InvalidArgumentException",
                     "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                     "[0, 2^128-1]. Specified value was 340282366920938463463374607431768211456");
  put.explicit_hash_key.clear();
  put.sequence_number_for_ordering = "0";
  EXPECT_TRUE(this->api().put_record(put).ok()) << "an old-layout number is taken";
  put.sequence_number_for_ordering = "9" + std::string(55, '0');
  this->expect_error(this->api().put_record(put), "InvalidArgumentException",
                     "ExclusiveMinimumSequenceNumber " + put.sequence_number_for_ordering +
                         " used in PutRecord on stream " + name +
                         " under account 000000000000 is invalid.");
  put.sequence_number_for_ordering.clear();
  put.data = std::string((1 << 20) + 1, 'x');
  this->expect_error(this->api().put_record(put), "InvalidArgumentException",
                     "Record size 1048578 exceeds the maximum record size of 1024 KiB (data "
                     "plus partition key) of stream " +
                         name + " under account 000000000000.");
}

TYPED_TEST(Conformance, RequestChecksAreWordedAsAwsWordsThem) {
  const std::string pattern = "Member must satisfy regular expression pattern: ";
  auto one = [](const std::string& value, const std::string& path, const std::string& what) {
    return "1 validation error detected: Value " + value + " at '" + path +
           "' failed to satisfy constraint: " + what;
  };
  create_stream_request create;
  create.stream_name = "a b";
  create.shard_count = 1;
  this->expect_error(this->api().create_stream(create), "ValidationException",
                     one("'a b'", "streamName", pattern + "[a-zA-Z0-9_.-]+"));
  create.stream_name = std::string(129, 'n');
  this->expect_error(this->api().create_stream(create), "ValidationException",
                     one("'" + create.stream_name + "'", "streamName",
                         "Member must have length less than or equal to 128"));
  create.stream_name = "";
  create.shard_count = 0;
  this->expect_error(
      this->api().create_stream(create), "ValidationException",
      "3 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: "
      "Member must have value greater than or equal to 1; Value '' at 'streamName' failed to "
      "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
      "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater "
      "than or equal to 1");

  const auto name = this->stream(2);
  list_streams_request streams;
  streams.limit = 0;
  this->expect_error(this->api().list_streams(streams), "ValidationException",
                     one("'0'", "limit", "Member must have value greater than or equal to 1"));
  list_shards_request shards;
  shards.stream.stream_name = name;
  shards.max_results = 10001;
  this->expect_error(
      this->api().list_shards(shards), "ValidationException",
      one("'10001'", "maxResults", "Member must have value less than or equal to 10000"));
  const std::string it = this->iterator(name, rulebook::shard_id(0), start_position::latest());
  this->expect_error(this->api().get_records({it, 0, {}}), "ValidationException",
                     one("'0'", "limit", "Member must have value greater than or equal to 1"));

  put_record_request put;
  put.stream.stream_name = name;
  put.data = "x";
  this->expect_error(
      this->api().put_record(put), "ValidationException",
      one("''", "partitionKey", "Member must have length greater than or equal to 1"));
  put.partition_key = "k";
  put.explicit_hash_key = "01";
  this->expect_error(this->api().put_record(put), "ValidationException",
                     one("'01'", "explicitHashKey", pattern + "0|([1-9]\\d{0,38})"));
  std::vector<put_records_entry> batch = {{"k", "x", {}}, {std::string(257, 'p'), "x", {}}};
  this->expect_error(this->api().put_records({{name, {}}, batch}), "ValidationException",
                     one("'" + batch[1].partition_key + "'", "records.2.member.partitionKey",
                         "Member must have length less than or equal to 256"));

  this->expect_error(this->api().split_shard({{name, {}}, rulebook::shard_id(0), "x"}),
                     "ValidationException",
                     one("'x'", "newStartingHashKey", pattern + "0|([1-9]\\d{0,38})"));
  this->expect_error(
      this->api().update_shard_count({{name, {}}, 0}), "ValidationException",
      one("'0'", "targetShardCount", "Member must have value greater than or equal to 1"));
  this->expect_error(this->api().register_stream_consumer({this->arn(name), "bad name"}),
                     "ValidationException",
                     one("'bad name'", "consumerName", pattern + "[a-zA-Z0-9_.-]+"));
}

}  // namespace
}  // namespace spate::client
