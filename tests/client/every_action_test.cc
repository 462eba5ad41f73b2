// The typed client against a real spated: each of the 39 actions is called once through
// make_client() and its decoded result checked field by field, so a member the client writes
// or reads under the wrong name fails here. Also: a user's test double that overrides one
// action compiles and answers not_implemented for the rest.
#include "testutil/child_process.h"
#include "testutil/eventually.h"

#include <spate/client/client.h>

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

namespace spate::client {
namespace {

constexpr const char* stream_name = "typed";

class EveryAction : public ::testing::Test {
 protected:
  EveryAction() : server_({"--create-stream-ms", "0", "--update-stream-ms", "0",
                           "--delete-stream-ms", "0"}) {
    client_options o;
    o.endpoint = server_.endpoint();
    o.region = "us-east-1";
    o.creds = {"spate", "spate", {}};
    o.retry.max_attempts = 1;
    api_ = make_client(o);
  }

  // Creates the stream with `shards` shards and waits until it is ACTIVE; returns its ARN.
  std::string create(int shards) {
    create_stream_request req;
    req.stream_name = stream_name;
    req.shard_count = shards;
    req.tags = {{"team", "data"}};
    auto created = api_->create_stream(req);
    EXPECT_TRUE(created.ok()) << created.err().to_string();
    wait_active();
    return api_->describe_stream_summary({ref()})->summary.stream_arn;
  }

  void wait_active() {
    EXPECT_TRUE(testutil::eventually([&] {
      auto d = api_->describe_stream_summary({ref()});
      return d.ok() && d->summary.status == stream_status::active;
    }));
  }

  static stream_ref ref() { return {stream_name, ""}; }

  testutil::spated_process server_;
  std::shared_ptr<kinesis> api_;
};

#define EXPECT_OK(call)                                     \
  do {                                                      \
    auto result_ = (call);                                  \
    EXPECT_TRUE(result_.ok()) << result_.err().to_string(); \
  } while (false)

TEST_F(EveryAction, StreamsShardsAndRecords) {
  const std::string arn = create(2);

  // DescribeLimits, ListStreams, DescribeStream (paged), DescribeStreamSummary.
  auto limits = api_->describe_limits({});
  ASSERT_TRUE(limits.ok()) << limits.err().to_string();
  EXPECT_GT(limits->shard_limit, 0);
  EXPECT_EQ(limits->open_shard_count, 2);
  auto listed = api_->list_streams({});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->stream_names, std::vector<std::string>{stream_name});
  ASSERT_EQ(listed->stream_summaries.size(), 1u);
  EXPECT_EQ(listed->stream_summaries[0].stream_arn, arn);
  EXPECT_EQ(listed->stream_summaries[0].status, stream_status::active);
  EXPECT_EQ(listed->stream_summaries[0].mode, stream_mode::provisioned);
  EXPECT_GT(listed->stream_summaries[0].created_ms, 0);
  EXPECT_FALSE(listed->has_more_streams);

  auto page = api_->describe_stream({ref(), 1, ""});
  ASSERT_TRUE(page.ok()) << page.err().to_string();
  EXPECT_EQ(page->description.stream_arn, arn);
  EXPECT_EQ(page->description.status, stream_status::active);
  EXPECT_EQ(page->description.mode, stream_mode::provisioned);
  EXPECT_EQ(page->description.retention_period_hours, 24);
  EXPECT_EQ(page->description.encryption, encryption_type::none);
  ASSERT_EQ(page->description.shards.size(), 1u);
  EXPECT_TRUE(page->description.has_more_shards);
  auto whole = describe_stream_all(*api_, ref());
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->shards.size(), 2u);
  EXPECT_FALSE(whole->has_more_shards);
  EXPECT_EQ(whole->shards[1].shard_id, "shardId-000000000001");

  auto summary = api_->describe_stream_summary({ref()});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->summary.open_shard_count, 2);
  EXPECT_EQ(summary->summary.consumer_count, 0);
  EXPECT_EQ(summary->summary.max_record_size_kib, 1024);

  // PutRecord, PutRecords, ListShards with a filter, GetShardIterator, GetRecords.
  auto one = api_->put_record({ref(), "k", "first", "", ""});
  ASSERT_TRUE(one.ok()) << one.err().to_string();
  EXPECT_FALSE(one->sequence_number.empty());
  EXPECT_EQ(one->encryption, encryption_type::none);
  put_records_request batch{ref(), {{"a", "x", ""}, {"b", "y", "0"}}};
  auto many = api_->put_records(batch);
  ASSERT_TRUE(many.ok()) << many.err().to_string();
  EXPECT_EQ(many->failed_record_count, 0);
  ASSERT_EQ(many->records.size(), 2u);
  EXPECT_TRUE(many->records[1].ok());
  EXPECT_EQ(many->records[1].shard_id, "shardId-000000000000");  // hash key 0

  list_shards_request filtered{ref(), "", "", std::nullopt, 0,
                               shard_filter{shard_filter_type::after_shard_id,
                                            "shardId-000000000000", 0}};
  auto shards = api_->list_shards(filtered);
  ASSERT_TRUE(shards.ok()) << shards.err().to_string();
  ASSERT_EQ(shards->shards.size(), 1u);
  EXPECT_EQ(shards->shards[0].shard_id, "shardId-000000000001");

  auto it = api_->get_shard_iterator(
      {ref(), one->shard_id, start_position::at_sequence(one->sequence_number)});
  ASSERT_TRUE(it.ok()) << it.err().to_string();
  auto got = api_->get_records({it->shard_iterator, 1, arn});
  ASSERT_TRUE(got.ok()) << got.err().to_string();
  ASSERT_EQ(got->records.size(), 1u);
  EXPECT_EQ(got->records[0].data, "first");
  EXPECT_EQ(got->records[0].partition_key, "k");
  EXPECT_FALSE(got->next_shard_iterator.empty());

  // SplitShard, MergeShards, UpdateShardCount.
  const std::string lower = whole->shards[0].shard_id;
  EXPECT_OK(api_->split_shard({ref(), lower, hash_key_midpoint(whole->shards[0].hash_range)}));
  wait_active();
  EXPECT_OK(api_->merge_shards({ref(), "shardId-000000000002", "shardId-000000000003"}));
  wait_active();
  auto scaled = api_->update_shard_count({ref(), 4});
  ASSERT_TRUE(scaled.ok()) << scaled.err().to_string();
  EXPECT_EQ(scaled->stream_name, stream_name);
  EXPECT_EQ(scaled->stream_arn, arn);
  EXPECT_EQ(scaled->current_shard_count, 2);
  EXPECT_EQ(scaled->target_shard_count, 4);
  wait_active();
  EXPECT_EQ(api_->describe_stream_summary({ref()})->summary.open_shard_count, 4);

  // DeleteStream.
  EXPECT_OK(api_->delete_stream({ref(), false}));
  EXPECT_TRUE(testutil::eventually([&] {
    auto d = api_->describe_stream_summary({ref()});
    return !d.ok() && d.err().code == error_code::resource_not_found;
  }));
}

TEST_F(EveryAction, SettingsTagsAndPolicies) {
  const std::string arn = create(1);

  EXPECT_OK(api_->increase_stream_retention_period({ref(), 48}));
  wait_active();
  EXPECT_OK(api_->decrease_stream_retention_period({ref(), 36}));
  wait_active();
  EXPECT_EQ(describe_stream_all(*api_, ref())->retention_period_hours, 36);

  auto enabled = api_->enable_enhanced_monitoring({ref(), {"IncomingBytes"}});
  ASSERT_TRUE(enabled.ok()) << enabled.err().to_string();
  EXPECT_EQ(enabled->stream_arn, arn);
  EXPECT_TRUE(enabled->current_shard_level_metrics.empty());
  EXPECT_EQ(enabled->desired_shard_level_metrics, std::vector<std::string>{"IncomingBytes"});
  wait_active();
  auto disabled = api_->disable_enhanced_monitoring({ref(), {"IncomingBytes"}});
  ASSERT_TRUE(disabled.ok()) << disabled.err().to_string();
  EXPECT_EQ(disabled->current_shard_level_metrics, std::vector<std::string>{"IncomingBytes"});
  EXPECT_TRUE(disabled->desired_shard_level_metrics.empty());
  wait_active();

  EXPECT_OK(api_->start_stream_encryption({ref(), encryption_type::kms, "alias/aws/kinesis"}));
  wait_active();
  auto encrypted = describe_stream_all(*api_, ref());
  EXPECT_EQ(encrypted->encryption, encryption_type::kms);
  EXPECT_EQ(encrypted->key_id, "alias/aws/kinesis");
  EXPECT_OK(api_->stop_stream_encryption({ref(), encryption_type::kms, "alias/aws/kinesis"}));
  wait_active();

  EXPECT_OK(api_->update_max_record_size({arn, 2048}));
  wait_active();
  EXPECT_EQ(api_->describe_stream_summary({ref()})->summary.max_record_size_kib, 2048);

  // Account settings (warm throughput needs the commitment).
  auto updated = api_->update_account_settings({commitment_status::enabled});
  ASSERT_TRUE(updated.ok()) << updated.err().to_string();
  ASSERT_TRUE(updated->minimum_throughput_billing_commitment.has_value());
  EXPECT_EQ(updated->minimum_throughput_billing_commitment->status, commitment_status::enabled);
  EXPECT_GT(updated->minimum_throughput_billing_commitment->started_ms, 0);
  auto account = api_->describe_account_settings({});
  ASSERT_TRUE(account.ok()) << account.err().to_string();
  ASSERT_TRUE(account->minimum_throughput_billing_commitment.has_value());
  EXPECT_EQ(account->minimum_throughput_billing_commitment->status, commitment_status::enabled);

  EXPECT_OK(api_->update_stream_mode({arn, stream_mode::on_demand}));
  wait_active();
  auto warm = api_->update_stream_warm_throughput({ref(), 10});
  ASSERT_TRUE(warm.ok()) << warm.err().to_string();
  EXPECT_EQ(warm->stream_arn, arn);
  ASSERT_TRUE(warm->warm_throughput.has_value());
  EXPECT_EQ(warm->warm_throughput->target_mibps, 10);
  wait_active();
  auto summary = api_->describe_stream_summary({ref()});
  EXPECT_EQ(summary->summary.mode, stream_mode::on_demand);
  ASSERT_TRUE(summary->summary.warm_throughput.has_value());
  EXPECT_EQ(summary->summary.warm_throughput->target_mibps, 10);

  // Tags on the stream and by ARN.
  EXPECT_OK(api_->add_tags_to_stream({ref(), {{"env", "test"}}}));
  auto tags = api_->list_tags_for_stream({ref(), "", 1});
  ASSERT_TRUE(tags.ok()) << tags.err().to_string();
  EXPECT_EQ(tags->tags, (tag_map{{"env", "test"}}));
  EXPECT_TRUE(tags->has_more_tags);
  EXPECT_EQ(*list_tags_for_stream_all(*api_, ref()),
            (tag_map{{"env", "test"}, {"team", "data"}}));
  EXPECT_OK(api_->remove_tags_from_stream({ref(), {"env"}}));
  EXPECT_OK(api_->tag_resource({arn, {{"owner", "me"}}}));
  EXPECT_OK(api_->untag_resource({arn, {"team"}}));
  auto by_arn = api_->list_tags_for_resource({arn});
  ASSERT_TRUE(by_arn.ok()) << by_arn.err().to_string();
  EXPECT_EQ(by_arn->tags, (tag_map{{"owner", "me"}}));

  // Resource policies.
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},)"
      R"("Action":"kinesis:GetRecords","Resource":")" +
      arn + R"("}]})";
  EXPECT_OK(api_->put_resource_policy({arn, policy}));
  auto read = api_->get_resource_policy({arn});
  ASSERT_TRUE(read.ok()) << read.err().to_string();
  EXPECT_EQ(read->policy, policy);
  EXPECT_OK(api_->delete_resource_policy({arn}));
  EXPECT_EQ(api_->get_resource_policy({arn})->policy, "{}");

}

TEST_F(EveryAction, ConsumersAndSubscription) {
  const std::string arn = create(1);
  ASSERT_TRUE(api_->put_record({ref(), "k", "pushed", "", ""}).ok());

  auto registered = api_->register_stream_consumer({arn, "app"});
  ASSERT_TRUE(registered.ok()) << registered.err().to_string();
  const consumer_description& c = registered->consumer;
  EXPECT_EQ(c.consumer_name, "app");
  EXPECT_EQ(c.status, consumer_status::creating);
  EXPECT_EQ(c.stream_arn, arn);
  ASSERT_TRUE(testutil::eventually([&] {
    auto d = api_->describe_stream_consumer({"", "", c.consumer_arn});
    return d.ok() && d->consumer.status == consumer_status::active;
  }));
  auto by_name = api_->describe_stream_consumer({arn, "app", ""});
  ASSERT_TRUE(by_name.ok()) << by_name.err().to_string();
  EXPECT_EQ(by_name->consumer.consumer_arn, c.consumer_arn);
  auto listed = api_->list_stream_consumers({arn, "", 10, 0});
  ASSERT_TRUE(listed.ok()) << listed.err().to_string();
  ASSERT_EQ(listed->consumers.size(), 1u);
  EXPECT_EQ(listed->consumers[0].consumer_arn, c.consumer_arn);

  subscribe_to_shard_request sub;
  sub.consumer_arn = c.consumer_arn;
  sub.shard_id = "shardId-000000000000";
  sub.starting_position = start_position::trim_horizon();
  std::string data;
  sub.on_event = [&](const subscribe_to_shard_event& ev) {
    for (const auto& r : ev.records) data += r.data;
    return data.empty();  // the first event with records ends it
  };
  auto subscribed = api_->subscribe_to_shard(sub);
  ASSERT_TRUE(subscribed.ok()) << subscribed.err().to_string();
  EXPECT_EQ(data, "pushed");
  EXPECT_GE(subscribed->events, 1);

  EXPECT_OK(api_->deregister_stream_consumer({"", "", c.consumer_arn}));
  EXPECT_TRUE(testutil::eventually([&] {
    auto d = api_->describe_stream_consumer({"", "", c.consumer_arn});
    return !d.ok() && d.err().code == error_code::resource_not_found;
  }));
}

TEST_F(EveryAction, RefusalsKeepTheirCodeAndName) {
  auto missing = api_->describe_stream_summary({{"nothing-here", ""}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.err().code, error_code::resource_not_found);
  EXPECT_EQ(missing.err().name(), "ResourceNotFoundException");
  EXPECT_EQ(missing.err().http_status, 400);
  auto invalid = api_->list_streams({0, "", ""});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.err().code, error_code::validation);
}

// A user's test double: only what it overrides answers; the other actions say they are not
// implemented, and no action added to the interface later can break it.
class one_action_double final : public kinesis {
 public:
  outcome<list_streams_result> list_streams(const list_streams_request&) override {
    list_streams_result out;
    out.stream_names = {"only"};
    return out;
  }
};

TEST(KinesisInterface, UnimplementedActionsAnswerNotImplemented) {
  one_action_double fake;
  EXPECT_EQ(fake.list_streams({})->stream_names, std::vector<std::string>{"only"});
  auto put = fake.put_record({});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.err().code, error_code::not_implemented);
  EXPECT_EQ(put.err().name(), "NotImplemented");
  EXPECT_NE(put.err().message.find("PutRecord"), std::string::npos);
  EXPECT_FALSE(put.err().retryable());
  EXPECT_EQ(fake.update_stream_warm_throughput({}).err().code, error_code::not_implemented);
}

}  // namespace
}  // namespace spate::client
