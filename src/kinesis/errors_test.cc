// Error names, statuses, and a sample of AWS's messages word for word.
#include "kinesis/errors.h"

#include <gtest/gtest.h>

namespace spate::kinesis {
namespace {

TEST(Errors, NamesRoundTripAndPrefixesAreIgnored) {
  for (auto code :
       {error_code::resource_not_found, error_code::validation, error_code::throughput_exceeded,
        error_code::internal, error_code::service_unavailable, error_code::unrecognized_client}) {
    EXPECT_EQ(parse_error_code(name(code)), code) << name(code);
  }
  EXPECT_EQ(parse_error_code("com.amazonaws.kinesis#LimitExceededException"),
            error_code::limit_exceeded);
  EXPECT_FALSE(parse_error_code("NoSuchException"));
}

TEST(Errors, StatusesAreAwsOnes) {
  EXPECT_EQ(http_status(error_code::resource_not_found), 400u);
  EXPECT_EQ(http_status(error_code::internal), 500u);
  EXPECT_EQ(http_status(error_code::service_unavailable), 503u);
}

TEST(Errors, MessagesAreAwsText) {
  EXPECT_EQ(stream_not_found("s", "000000000000").message,
            "Stream s under account 000000000000 not found.");
  EXPECT_EQ(shard_not_found("shardId-000000000001", "s", "1").message,
            "Shard shardId-000000000001 in stream s under account 1 does not exist");
  EXPECT_EQ(stream_not_active("s", "1", "CREATING").code, error_code::resource_in_use);
  EXPECT_EQ(shard_count_over_double(2, 5).message,
            "UpdateShardCount cannot scale up over double your current open shard count. "
            "Current open shard count: 2, Target shard count: 5");
  EXPECT_EQ(retention_too_short(23).message,
            "Minimum allowed retention period is 24 hours. Requested retention period (23 "
            "hours) is too short.");
  EXPECT_EQ(too_many_tags("s", "1").message,
            "Failed to add tags to stream s under account 1 because a given stream cannot have "
            "more than 50 tags associated with it.");
}

}  // namespace
}  // namespace spate::kinesis
