// The enumerations' and error codes' AWS spellings: every value converts to its name and back,
// answer-side enumerations have an `unknown` for a name from a newer service, and an error
// whose name this client does not know keeps that name.
#include <spate/client/error.h>
#include <spate/client/model.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace spate::client {
namespace {

// Each of `values` converts to a distinct non-empty name that parses back to it.
template <class E>
void expect_round_trips(std::initializer_list<E> values) {
  std::set<std::string_view> names;
  for (E v : values) {
    const std::string_view name = to_string(v);
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(parse<E>(name), v) << name;
  }
  EXPECT_EQ(parse<E>("NOT_A_VALUE"), std::nullopt);
}

TEST(Model, EnumerationsSpellAsAws) {
  expect_round_trips({stream_status::creating, stream_status::deleting, stream_status::active,
                      stream_status::updating});
  expect_round_trips({stream_mode::provisioned, stream_mode::on_demand});
  expect_round_trips({encryption_type::none, encryption_type::kms});
  expect_round_trips(
      {consumer_status::creating, consumer_status::deleting, consumer_status::active});
  expect_round_trips({shard_filter_type::after_shard_id, shard_filter_type::at_trim_horizon,
                      shard_filter_type::from_trim_horizon, shard_filter_type::at_latest,
                      shard_filter_type::at_timestamp, shard_filter_type::from_timestamp});
  expect_round_trips({shard_iterator_type::trim_horizon, shard_iterator_type::latest,
                      shard_iterator_type::at_timestamp, shard_iterator_type::at_sequence_number,
                      shard_iterator_type::after_sequence_number});
  expect_round_trips({scaling_type::uniform_scaling});
  expect_round_trips({commitment_status::enabled, commitment_status::disabled,
                      commitment_status::enabled_until_earliest_allowed_end});
  EXPECT_EQ(to_string(stream_mode::on_demand), "ON_DEMAND");
  EXPECT_EQ(to_string(shard_iterator_type::after_sequence_number), "AFTER_SEQUENCE_NUMBER");
  EXPECT_EQ(to_string(stream_status::unknown), "");
}

TEST(ErrorCode, EveryCodeHasOneNameThatParsesBack) {
  std::set<std::string_view> names;
  for (int i = static_cast<int>(error_code::access_denied);
       i <= static_cast<int>(error_code::not_implemented); ++i) {
    const auto code = static_cast<error_code>(i);
    const std::string_view name = to_string(code);
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(parse_error_code(name), code) << name;
  }
  EXPECT_EQ(to_string(error_code::provisioned_throughput_exceeded),
            "ProvisionedThroughputExceededException");
  EXPECT_EQ(to_string(error_code::internal_failure), "InternalFailure");
  EXPECT_EQ(parse_error_code("com.amazonaws.kinesis.v20131202#ResourceInUseException"),
            error_code::resource_in_use);
  EXPECT_EQ(parse_error_code("InternalFailureException"), error_code::internal_failure);
}

TEST(ErrorCode, AnUnknownNameIsKept) {
  const error e = error::from_name("aws#SomethingNewException", "new", 400);
  EXPECT_EQ(e.code, error_code::unknown);
  EXPECT_EQ(e.name(), "SomethingNewException");
  EXPECT_EQ(e.to_string(), "SomethingNewException: new");
  EXPECT_FALSE(e.retryable());
  EXPECT_TRUE(error::from_name("TooManyRequestsException", "", 400).retryable());
  EXPECT_TRUE(error::from_name("SomethingNewException", "", 503).retryable());
}

TEST(ErrorCode, RetryableCodes) {
  EXPECT_TRUE(error(error_code::provisioned_throughput_exceeded).retryable());
  EXPECT_TRUE(error(error_code::throttling).retryable());
  EXPECT_TRUE(error(error_code::connection).retryable());
  EXPECT_TRUE(error(error_code::timeout).retryable());
  EXPECT_FALSE(error(error_code::limit_exceeded, "", 400).retryable());
  EXPECT_FALSE(error(error_code::validation, "", 400).retryable());
  EXPECT_TRUE(error(error_code::internal_failure, "", 500).retryable());
  EXPECT_EQ(error(error_code::queue_full, "full").to_string(), "QueueFull: full");
}

}  // namespace
}  // namespace spate::client
