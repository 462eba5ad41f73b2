#include "benchmarks/load/kinesis_wire.h"

#include <gtest/gtest.h>

namespace spate::bench {
namespace {

TEST(Endpoint, ParsesHostPortAndIpv6) {
  auto ep = parse_endpoint("http://127.0.0.1:4567/");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, "4567");
  EXPECT_EQ(ep->host_header, "127.0.0.1:4567");
  ep = parse_endpoint("http://[::1]:99");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, "99");
  ep = parse_endpoint("http://localhost");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->port, "80");
  EXPECT_FALSE(parse_endpoint("https://127.0.0.1:4567"));
  EXPECT_FALSE(parse_endpoint("http://127.0.0.1:4567/path"));
}

// The expected signature is botocore's SigV4Auth for the same request, time and credentials.
TEST(Sigv4Signer, MatchesBotocore) {
  sigv4_signer signer("127.0.0.1:4567",
                      std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
  const std::string request =
      signer.request("PutRecord", R"({"StreamName":"x","Data":"AAAA","PartitionKey":"k"})");
  EXPECT_NE(request.find("X-Amz-Date: 20231114T221320Z\r\n"), std::string::npos);
  EXPECT_NE(request.find("X-Amz-Target: Kinesis_20131202.PutRecord\r\n"), std::string::npos);
  EXPECT_NE(
      request.find("Credential=AKIDEXAMPLE/20231114/us-east-1/kinesis/aws4_request, "
                   "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                   "Signature=b7589de2a4fada64befebc0e6c06566781793fb4e8e1170de60152bb1bf1f086"),
      std::string::npos);
  EXPECT_TRUE(
      request.ends_with("Content-Length: 51\r\n\r\n"
                        R"({"StreamName":"x","Data":"AAAA","PartitionKey":"k"})"));
}

TEST(Base64, EncodesAndSizes) {
  std::string out;
  append_base64(out, "hello!?");
  EXPECT_EQ(out, "aGVsbG8hPw==");
  EXPECT_EQ(base64_decoded_size(out), 7u);
  EXPECT_EQ(base64_decoded_size("aGVsbG8h"), 6u);
  EXPECT_EQ(base64_decoded_size(""), 0u);
}

TEST(PutRecordsReply, CountsStoredAndFailedRecords) {
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(200, R"({"FailedRecordCount":1,"Records":[
      {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
      {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow"}]})");
  auto out = parse_put_records(parser, r, 2);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->succeeded, 1u);
  EXPECT_EQ(out->failed, 1u);
  EXPECT_EQ(out->first_error_code, "ProvisionedThroughputExceededException");
}

TEST(PutRecordsReply, WrongRecordCountIsABadResponse) {
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(
      200, R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]})");
  auto out = parse_put_records(parser, r, 2);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, "bad response");
}

TEST(PutRecordsReply, FailedRecordCountMustAgree) {
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(
      200, R"({"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"}]})");
  EXPECT_FALSE(parse_put_records(parser, r, 1));
}

TEST(PutRecordsReply, NullErrorCodeIsNoError) {
  // kinesis-mock's success entries carry "ErrorCode":null, "ErrorMessage":null.
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(200, R"({"FailedRecordCount":1,"Records":[
      {"ErrorCode":null,"ErrorMessage":null,"SequenceNumber":"1","ShardId":"s"},
      {"ErrorCode":"InternalFailure","ErrorMessage":"x"}]})");
  auto out = parse_put_records(parser, r, 2);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->succeeded, 1u);
  EXPECT_EQ(out->failed, 1u);
  EXPECT_EQ(out->first_error_code, "InternalFailure");
}

TEST(ErrorReply, NamesTheKinesisTypeWithoutNamespace) {
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(400, R"({"__type":"com.amazonaws.kinesis#ResourceNotFoundException",
                             "message":"Stream x not found"})");
  auto out = parse_put_record(parser, r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, "ResourceNotFoundException");
  EXPECT_EQ(out.error().message, "Stream x not found");
  auto html = http_reply::holding(502, "<html>bad gateway</html>");
  EXPECT_EQ(parse_put_record(parser, html).error().kind, "HTTP 502");
}

TEST(GetRecordsReply, CountsRecordsAndDecodedBytes) {
  simdjson::ondemand::parser parser;
  auto r = http_reply::holding(200, R"({"Records":[
      {"SequenceNumber":"1","ApproximateArrivalTimestamp":1.7E9,"Data":"aGVsbG8hPw==","PartitionKey":"a"},
      {"SequenceNumber":"2","ApproximateArrivalTimestamp":1.7E9,"Data":"aGk=","PartitionKey":"b"}],
      "NextShardIterator":"AAAA","MillisBehindLatest":0})");
  auto out = parse_get_records(parser, r);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->records, 2u);
  EXPECT_EQ(out->payload_bytes, 9u);
  EXPECT_EQ(out->next_iterator, "AAAA");
  EXPECT_EQ(out->millis_behind, 0);
}

TEST(GetRecordsReply, ARecordWithoutDataIsABadResponse) {
  simdjson::ondemand::parser parser;
  auto r =
      http_reply::holding(200, R"({"Records":[{"SequenceNumber":"1"}],"NextShardIterator":"A"})");
  EXPECT_FALSE(parse_get_records(parser, r));
}

TEST(ControlReplies, SummaryShardsAndIterator) {
  simdjson::ondemand::parser parser;
  auto summary = http_reply::holding(200, R"({"StreamDescriptionSummary":{"StreamName":"s",
      "StreamStatus":"ACTIVE","OpenShardCount":4}})");
  auto s = parse_stream_summary(parser, summary);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, "ACTIVE");
  EXPECT_EQ(s->open_shards, 4);
  auto shards = http_reply::holding(200, R"({"Shards":[{"ShardId":"shardId-000000000000"},
      {"ShardId":"shardId-000000000001"}],"NextToken":"t"})");
  auto page = parse_list_shards(parser, shards);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->shard_ids.size(), 2u);
  EXPECT_EQ(page->next_token, "t");
  auto iterator = http_reply::holding(200, R"({"ShardIterator":"xyz"})");
  auto it = parse_shard_iterator(parser, iterator);
  ASSERT_TRUE(it);
  EXPECT_EQ(*it, "xyz");
}

}  // namespace
}  // namespace spate::bench
