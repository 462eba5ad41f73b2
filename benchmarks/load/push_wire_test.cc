#include "benchmarks/load/push_wire.h"

#include <gtest/gtest.h>

namespace spate::bench {
namespace {

// Copies `text` into storage padded for simdjson; the view is the text.
struct padded {
  explicit padded(std::string_view text) : storage(text) {
    storage.resize(text.size() + simdjson::SIMDJSON_PADDING);
    view = std::string_view(storage).substr(0, text.size());
  }
  std::string storage;
  std::string_view view;
};

// The Data strings of a PutRecords body.
std::vector<std::string> data_of(const std::string& body) {
  simdjson::ondemand::parser parser;
  padded json(body);
  simdjson::ondemand::document doc;
  EXPECT_EQ(parser.iterate(json.view.data(), json.view.size(), json.storage.size()).get(doc),
            simdjson::SUCCESS);
  std::vector<std::string> out;
  for (auto record : doc["Records"].get_array()) {
    std::string_view data;
    EXPECT_EQ(record["Data"].get_string().get(data), simdjson::SUCCESS);
    out.emplace_back(data);
  }
  return out;
}

TEST(StampedRecords, EveryRecordCarriesTheStampAndHasTheRequestedSize) {
  stamped_record_factory factory(42);
  const std::uint64_t stamp = 0x0123456789abcdefULL;
  for (const std::size_t size :
       {std::size_t{8}, std::size_t{9}, std::size_t{10}, std::size_t{100}}) {
    const auto data = data_of(factory.put_records_body("s", 3, size, stamp));
    ASSERT_EQ(data.size(), 3u);
    for (const auto& d : data) {
      EXPECT_EQ(base64_decoded_size(d), size);
      const auto read = read_stamp(d);
      ASSERT_TRUE(read) << d;
      EXPECT_EQ(*read, stamp);
    }
  }
}

TEST(StampedRecords, RecordsOfOneBodyDifferAfterTheStamp) {
  stamped_record_factory factory(7);
  const auto data = data_of(factory.put_records_body("s", 2, 100, 1));
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].substr(0, 10), data[1].substr(0, 10));  // 60 bits of the same stamp
  EXPECT_NE(data[0], data[1]);
}

TEST(ReadStamp, RefusesShortOrNonBase64Data) {
  EXPECT_FALSE(read_stamp("AAAAAAAAAAA"));   // 11 characters
  EXPECT_FALSE(read_stamp("AAAA AAAAAAA"));  // a space
  EXPECT_FALSE(read_stamp("AAAAAAAA\"AAA"));
  EXPECT_EQ(read_stamp("AQAAAAAAAAA="), 1u);  // the 8-byte record 01 00 .. 00
}

TEST(SequenceBefore, ComparesDecimalNumbersOfAnyLength) {
  EXPECT_TRUE(sequence_before("9", "10"));
  EXPECT_TRUE(sequence_before("49590338271490256608559692538361571095921575989136588898",
                              "49590338271490256608559692538361571095921575989136588899"));
  EXPECT_FALSE(sequence_before("10", "10"));
  EXPECT_FALSE(sequence_before("11", "10"));
  EXPECT_FALSE(sequence_before("100", "99"));
}

TEST(ParseWebsocketMessage, ReadsShardAndRecords) {
  simdjson::ondemand::parser parser;
  record_batch batch;
  padded text(
      R"({"shardId":"shardId-000000000003","records":[)"
      R"({"sequenceNumber":"5","partitionKey":"k","data":"AQAAAAAAAAA=","arrival":1700000000000},)"
      R"({"sequenceNumber":"6","partitionKey":"k","data":"AgAAAAAAAAA=","arrival":1700000000001}],)"
      R"("millisBehindLatest":0})");
  ASSERT_TRUE(parse_websocket_message(parser, text.view, text.storage.size(), batch));
  EXPECT_EQ(batch.shard, "shardId-000000000003");
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[1].sequence, "6");
  EXPECT_EQ(read_stamp(batch.records[1].data), 2u);
  EXPECT_EQ(batch.millis_behind, 0);
}

TEST(ParseWebsocketMessage, RefusesAMessageWithoutItsShardOrWithARecordWithoutData) {
  simdjson::ondemand::parser parser;
  record_batch batch;
  padded no_shard(R"({"records":[],"millisBehindLatest":0})");
  EXPECT_FALSE(parse_websocket_message(parser, no_shard.view, no_shard.storage.size(), batch));
  padded no_data(R"({"shardId":"shardId-000000000000","records":[{"sequenceNumber":"1"}]})");
  EXPECT_FALSE(parse_websocket_message(parser, no_data.view, no_data.storage.size(), batch));
  padded broken(R"({"shardId":"shardId-000000000000","records":[)");
  EXPECT_FALSE(parse_websocket_message(parser, broken.view, broken.storage.size(), batch));
}

TEST(ParseKinesisRecords, ReadsASubscribeToShardEvent) {
  simdjson::ondemand::parser parser;
  record_batch batch;
  padded payload(R"({"Records":[{"SequenceNumber":"7","ApproximateArrivalTimestamp":1700000000.5,)"
                 R"("Data":"AwAAAAAAAAA=","PartitionKey":"k"}],"ContinuationSequenceNumber":"7",)"
                 R"("MillisBehindLatest":0})");
  ASSERT_TRUE(parse_kinesis_records(parser, payload.view, payload.storage.size(), batch));
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].sequence, "7");
  EXPECT_EQ(read_stamp(batch.records[0].data), 3u);
  EXPECT_TRUE(batch.next_iterator.empty());
}

TEST(ParseKinesisRecords, ReadsGetRecordsAndTheEndOfAClosedShard) {
  simdjson::ondemand::parser parser;
  record_batch batch;
  padded open(R"({"Records":[],"NextShardIterator":"it-2","MillisBehindLatest":12})");
  ASSERT_TRUE(parse_kinesis_records(parser, open.view, open.storage.size(), batch));
  EXPECT_TRUE(batch.records.empty());
  EXPECT_EQ(batch.next_iterator, "it-2");
  EXPECT_EQ(batch.millis_behind, 12);
  padded closed(R"({"Records":[],"NextShardIterator":null,"MillisBehindLatest":0})");
  ASSERT_TRUE(parse_kinesis_records(parser, closed.view, closed.storage.size(), batch));
  EXPECT_TRUE(batch.next_iterator.empty());
  padded none(R"({"NextShardIterator":"x"})");
  EXPECT_FALSE(parse_kinesis_records(parser, none.view, none.storage.size(), batch));
}

TEST(ParseConsumer, ReadsArnAndStatusOrTheError) {
  simdjson::ondemand::parser parser;
  auto registered = parse_consumer(
      parser,
      http_reply::holding(200, R"({"Consumer":{"ConsumerName":"c0","ConsumerARN":"arn:c0",)"
                               R"("ConsumerStatus":"ACTIVE","ConsumerCreationTimestamp":1.7e9}})"),
      "Consumer");
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->arn, "arn:c0");
  EXPECT_EQ(registered->status, "ACTIVE");
  auto refused = parse_consumer(
      parser,
      http_reply::holding(400, R"({"__type":"LimitExceededException","message":"20 consumers"})"),
      "Consumer");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, "LimitExceededException");
}

TEST(ParseStreamArn, ReadsTheSummarysArn) {
  simdjson::ondemand::parser parser;
  auto arn = parse_stream_arn(
      parser,
      http_reply::holding(200, R"({"StreamDescriptionSummary":{"StreamName":"s",)"
                               R"("StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s",)"
                               R"("StreamStatus":"ACTIVE"}})"));
  ASSERT_TRUE(arn);
  EXPECT_EQ(*arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
}

TEST(Bodies, NameTheirArguments) {
  EXPECT_EQ(subscribe_to_shard_body("arn:c", "shardId-000000000001"),
            R"({"ConsumerARN":"arn:c","ShardId":"shardId-000000000001",)"
            R"("StartingPosition":{"Type":"LATEST"}})");
  EXPECT_EQ(websocket_target("clicks"), "/v1/subscribe?stream=clicks&from=LATEST");
  EXPECT_EQ(delete_stream_body("s"), R"({"StreamName":"s","EnforceConsumerDeletion":true})");
}

}  // namespace
}  // namespace spate::bench
