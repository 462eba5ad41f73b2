// stream_settings: enhanced monitoring's set arithmetic, the per-stream maximum record size on
// put, per-shard counters and their samples, resource policies of streams and consumers, and
// the account's commitment, across an engine restart.
#include "engine/engine.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

namespace spate::engine {
namespace {

using strings = std::vector<std::string>;

class StreamSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open();
    ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
  }

  void open() {
    engine_.reset();
    options_.data_dir = dir_.path();
    auto e = engine::open(options_);
    ASSERT_TRUE(e) << e.error().message();
    engine_ = std::move(*e);
  }

  // Puts records (ExplicitHashKey 0: shard 0); the failure of the whole request, if any.
  std::optional<failure> put(const std::vector<std::string>& data) {
    std::vector<storage::record_input> records;
    for (const auto& d : data) records.push_back({"k", uint128{0}, d});
    std::promise<void> done;
    auto r = engine_->put("s", records,
                          [&](std::vector<put_result>&, std::uint32_t) { done.set_value(); });
    if (!r) return r.error();
    done.get_future().get();
    return std::nullopt;
  }

  const shard_metrics_sample* sample_of(const std::vector<shard_metrics_sample>& samples,
                                        const std::string& shard) {
    for (const auto& s : samples) {
      if (s.stream == "s" && s.shard_id == shard) return &s;
    }
    return nullptr;
  }

  testutil::temp_dir dir_;
  engine_options options_;
  std::unique_ptr<engine> engine_;
};

TEST_F(StreamSettingsTest, MonitoringAddsAndRemovesInAwsOrder) {
  auto c = engine_->change_enhanced_monitoring("s", {"OutgoingRecords", "IncomingBytes"}, true);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->current, strings{});
  EXPECT_EQ(c->desired, (strings{"IncomingBytes", "OutgoingRecords"}));
  c = engine_->change_enhanced_monitoring("s", {"ALL"}, true);
  EXPECT_EQ(c->desired.size(), shard_metric_count);
  c = engine_->change_enhanced_monitoring("s", {"IncomingBytes", "IteratorAgeMilliseconds"}, false);
  EXPECT_EQ(c->current.size(), shard_metric_count);
  EXPECT_EQ(c->desired,
            (strings{"IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                     "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded"}));
  open();
  EXPECT_EQ(engine_->describe("s")->stream.shard_level_metrics, c->desired);
  c = engine_->change_enhanced_monitoring("s", {"ALL"}, false);
  EXPECT_EQ(c->desired, strings{});
  EXPECT_EQ(engine_->change_enhanced_monitoring("nope", {"ALL"}, true).error().kind,
            failure_kind::resource_not_found);
}

TEST_F(StreamSettingsTest, CountersAreSampledOnlyForMonitoredStreams) {
  ASSERT_FALSE(put({"abc", "de"}));
  auto collect = [this] {
    std::vector<shard_metrics_sample> samples;
    engine_->enhanced_metrics(samples);
    return samples;
  };
  EXPECT_TRUE(collect().empty());
  ASSERT_TRUE(engine_->change_enhanced_monitoring("s", {"IncomingRecords"}, true));
  auto samples = collect();
  ASSERT_EQ(samples.size(), 2u);  // one per shard
  const auto* first = sample_of(samples, "shardId-000000000000");
  ASSERT_TRUE(first);
  const auto at = [](shard_metric m) { return static_cast<std::size_t>(m); };
  EXPECT_TRUE(first->enabled[at(shard_metric::incoming_records)]);
  EXPECT_FALSE(first->enabled[at(shard_metric::incoming_bytes)]);
  EXPECT_EQ(first->values[at(shard_metric::incoming_records)], 2u);
  EXPECT_EQ(first->values[at(shard_metric::incoming_bytes)], 3u + 1 + 2 + 1);  // counted anyway
  EXPECT_EQ(sample_of(samples, "shardId-000000000001")->values[at(shard_metric::incoming_records)],
            0u);

  iterator_request req{"s", 0, iterator_type::trim_horizon, {}, 0};
  auto page = engine_->get_records(*engine_->get_shard_iterator(req), 1);
  ASSERT_TRUE(page);
  samples = collect();
  EXPECT_EQ(sample_of(samples, "shardId-000000000000")->values[at(shard_metric::outgoing_records)],
            1u);
}

TEST_F(StreamSettingsTest, MaxRecordSizeBoundsPuts) {
  EXPECT_FALSE(put({std::string(1024 * 1024 - 1, 'x')}));  // with the 1-byte key: exactly 1 MiB
  auto refused = put({"small", std::string(1024 * 1024, 'x')});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, failure_kind::invalid_argument);
  ASSERT_TRUE(engine_->update_max_record_size("s", 2048));
  EXPECT_FALSE(put({std::string(2 * 1024 * 1024 - 1, 'x')}));
  EXPECT_TRUE(put({std::string(2 * 1024 * 1024, 'x')}));
  EXPECT_EQ(engine_->update_max_record_size("s", 1023).error().kind,
            failure_kind::invalid_argument);
  EXPECT_EQ(engine_->update_max_record_size("s", 10241).error().kind,
            failure_kind::invalid_argument);
  open();
  EXPECT_EQ(engine_->describe("s")->stream.max_record_size_kib, 2048);
  EXPECT_FALSE(put({std::string(2 * 1024 * 1024 - 1, 'x')}));
  // Only the accepted records were written: 1 MiB and 2 MiB twice.
  iterator_request req{"s", 0, iterator_type::trim_horizon, {}, 0};
  auto page = engine_->get_records(*engine_->get_shard_iterator(req), 100);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->batch.records.size(), 3u);
}

TEST_F(StreamSettingsTest, PoliciesOfStreamsAndConsumers) {
  const std::string stream = engine_->stream_arn("s");
  auto none = engine_->get_resource_policy(stream);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(engine_->put_resource_policy(stream, R"({"a":1})"));
  auto consumer = engine_->register_consumer("s", "c");
  ASSERT_TRUE(consumer);
  ASSERT_TRUE(engine_->put_resource_policy(consumer->arn, R"({"c":1})"));
  open();
  EXPECT_EQ(**engine_->get_resource_policy(stream), R"({"a":1})");
  EXPECT_EQ(**engine_->get_resource_policy(consumer->arn), R"({"c":1})");
  ASSERT_TRUE(engine_->deregister_consumer({"s", "c", std::nullopt}));
  EXPECT_EQ(engine_->get_resource_policy(consumer->arn).error().kind,
            failure_kind::resource_not_found);
  ASSERT_TRUE(engine_->delete_resource_policy(stream));
  EXPECT_EQ(engine_->delete_resource_policy(stream).error().kind, failure_kind::resource_not_found);
  EXPECT_EQ(engine_->put_resource_policy(engine_->stream_arn("nope"), "{}").error().kind,
            failure_kind::resource_not_found);
  ASSERT_TRUE(engine_->put_resource_policy(stream, "{}"));
  ASSERT_TRUE(engine_->delete_stream("s"));
  ASSERT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
  EXPECT_FALSE(*engine_->get_resource_policy(stream));  // gone with the old stream
}

TEST_F(StreamSettingsTest, CommitmentEndsNoEarlierThanItsMinimum) {
  EXPECT_EQ(engine_->account_settings().commitment_status, "DISABLED");
  auto on = engine_->update_account_settings(true);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->commitment_status, "ENABLED");
  EXPECT_EQ(on->earliest_end_ms - on->started_ms, min_commitment_ms);
  auto pending = engine_->update_account_settings(false);
  EXPECT_EQ(pending->commitment_status, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  open();
  EXPECT_EQ(engine_->account_settings(), *pending);
  auto again = engine_->update_account_settings(true);
  EXPECT_EQ(again->commitment_status, "ENABLED");
  EXPECT_EQ(again->started_ms, on->started_ms);
}

TEST_F(StreamSettingsTest, WarmThroughputNeedsOnDemandAndCommitment) {
  ASSERT_TRUE(engine_->create_stream("od", 0, metadata::stream_mode::on_demand, {}));
  EXPECT_EQ(engine_->update_warm_throughput("od", 10).error().kind, failure_kind::invalid_argument);
  ASSERT_TRUE(engine_->update_account_settings(true));
  EXPECT_EQ(engine_->update_warm_throughput("s", 10).error().kind, failure_kind::invalid_argument);
  EXPECT_EQ(engine_->update_warm_throughput("od", max_warm_throughput_mibs + 1).error().kind,
            failure_kind::limit_exceeded);
  auto r = engine_->update_warm_throughput("od", 64);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->warm_target_mibs, 64);
  EXPECT_EQ(r->warm_current_mibs, 64);  // no --update-stream-ms: reached at once
}

TEST_F(StreamSettingsTest, EncryptionIsKeptAcrossRestart) {
  ASSERT_TRUE(engine_->start_encryption("s", "alias/aws/kinesis"));
  open();
  auto snap = engine_->describe("s");
  EXPECT_EQ(snap->stream.encryption_type, "KMS");
  EXPECT_EQ(snap->stream.kms_key_id, "alias/aws/kinesis");
  ASSERT_TRUE(engine_->stop_encryption("s"));
  EXPECT_EQ(engine_->describe("s")->stream.encryption_type, "NONE");
  EXPECT_TRUE(engine_->describe("s")->stream.kms_key_id.empty());
}

}  // namespace
}  // namespace spate::engine
