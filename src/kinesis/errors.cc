// The error names and AWS's messages, word for word.
#include "kinesis/errors.h"

#include "kinesis/limits.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace spate::kinesis {

namespace {

constexpr std::array<std::pair<error_code, std::string_view>, 17> names = {{
    {error_code::resource_not_found, "ResourceNotFoundException"},
    {error_code::resource_in_use, "ResourceInUseException"},
    {error_code::limit_exceeded, "LimitExceededException"},
    {error_code::invalid_argument, "InvalidArgumentException"},
    {error_code::validation, "ValidationException"},
    {error_code::expired_iterator, "ExpiredIteratorException"},
    {error_code::expired_next_token, "ExpiredNextTokenException"},
    {error_code::throughput_exceeded, "ProvisionedThroughputExceededException"},
    {error_code::access_denied, "AccessDeniedException"},
    {error_code::serialization, "SerializationException"},
    {error_code::unknown_operation, "UnknownOperationException"},
    {error_code::missing_authentication, "MissingAuthenticationTokenException"},
    {error_code::incomplete_signature, "IncompleteSignatureException"},
    {error_code::invalid_signature, "InvalidSignatureException"},
    {error_code::unrecognized_client, "UnrecognizedClientException"},
    {error_code::service_unavailable, "ServiceUnavailable"},
    {error_code::internal, "InternalFailure"},
}};

violation make(error_code code, std::string message) {
  return {code, std::move(message)};
}

}  // namespace

std::string_view name(error_code code) {
  for (const auto& [c, n] : names) {
    if (c == code) return n;
  }
  return "InternalFailure";
}

std::optional<error_code> parse_error_code(std::string_view type) {
  if (const auto hash = type.rfind('#'); hash != std::string_view::npos) {
    type.remove_prefix(hash + 1);
  }
  for (const auto& [c, n] : names) {
    if (n == type) return c;
  }
  return std::nullopt;
}

unsigned http_status(error_code code) {
  switch (code) {
    case error_code::internal:
      return 500;
    case error_code::service_unavailable:
      return 503;
    default:
      return 400;
  }
}

// ---- streams ------------------------------------------------------------------------------

violation stream_not_found(std::string_view stream, std::string_view account) {
  return make(error_code::resource_not_found,
              fmt::format("Stream {} under account {} not found.", stream, account));
}

violation stream_already_exists(std::string_view stream, std::string_view account) {
  return make(error_code::resource_in_use,
              fmt::format("Stream {} under account {} already exists.", stream, account));
}

violation stream_not_active(std::string_view stream, std::string_view account,
                            std::string_view status) {
  return make(error_code::resource_in_use,
              fmt::format("Stream {} under account {} not ACTIVE, instead in state {}", stream,
                          account, status));
}

violation shard_not_found(std::string_view shard_id, std::string_view stream,
                          std::string_view account) {
  return make(error_code::resource_not_found,
              fmt::format("Shard {} in stream {} under account {} does not exist", shard_id, stream,
                          account));
}

violation shard_not_parsed(std::string_view shard, std::string_view stream,
                           std::string_view account) {
  return make(error_code::resource_not_found,
              fmt::format("Could not find shard {} in stream {} under account {}.", shard, stream,
                          account));
}

violation shard_limit_exceeded(std::string_view account, std::string_view region, std::size_t open,
                               std::size_t limit, std::size_t additional) {
  return make(
      error_code::limit_exceeded,
      fmt::format(
          "This request would exceed the shard limit for the account {} in {}. Current shard "
          "count for the account: {}. Limit: {}. Number of additional shards that would have "
          "resulted from this request: {}. Refer to the AWS Service Limits page "
          "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
          "limits and how to request higher limits.",
          account, region, open, limit, additional));
}

violation on_demand_stream_limit_exceeded(std::size_t limit, std::string_view account,
                                          std::string_view region) {
  return make(error_code::limit_exceeded,
              fmt::format("This request would exceed the limit of {} on-demand streams for the "
                          "account {} in {}.",
                          limit, account, region));
}

violation provisioned_only() {
  return make(error_code::validation,
              "This API is only supported for the data streams with the provisioned capacity "
              "mode.");
}

violation stream_has_consumers(std::string_view stream, std::string_view account) {
  return make(error_code::resource_in_use,
              fmt::format("DeleteStream can't delete {}:{} because there are consumers "
                          "associated with this data stream. To delete {} anyway, set the "
                          "EnforceConsumerDeletion parameter to true to force the deletion of "
                          "all the consumers that are associated with it.",
                          account, stream, stream));
}

// ---- resharding ---------------------------------------------------------------------------

violation shard_not_splittable(std::string_view shard_id, std::string_view stream,
                               std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("Shard {} in stream {} under account {} has already been merged or "
                          "split, and thus is not eligible for splitting.",
                          shard_id, stream, account));
}

violation shard_not_mergeable(std::string_view shard_id, std::string_view stream,
                              std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("Shard {} in stream {} under account {} has already been merged or "
                          "split, and thus is not eligible for merging",
                          shard_id, stream, account));
}

violation split_key_out_of_range(std::string_view new_start, std::string_view shard_id,
                                 std::string_view stream, std::string_view account,
                                 std::string_view range_start, std::string_view range_end) {
  return make(error_code::invalid_argument,
              fmt::format("NewStartingHashKey {} used in SplitShard() on shard {} in stream {} "
                          "under account {} is not both greater than one plus the shard's "
                          "StartingHashKey {} and less than the shard's EndingHashKey {}.",
                          new_start, shard_id, stream, account, range_start, range_end));
}

violation shards_not_adjacent(std::string_view shard_id, std::string_view adjacent_id,
                              std::string_view stream, std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("Shards {} and {} in stream {} under account {} are not an adjacent "
                          "pair of shards eligible for merging",
                          shard_id, adjacent_id, stream, account));
}

violation shard_count_over_limit(std::size_t limit, std::size_t current, std::size_t target) {
  return make(error_code::limit_exceeded,
              fmt::format("Target shard count or number of open shards cannot be greater than "
                          "{}. Current open shard count: {}, Target shard count: {}",
                          limit, current, target));
}

violation shard_count_over_double(std::size_t current, std::size_t target) {
  return make(error_code::limit_exceeded,
              fmt::format("UpdateShardCount cannot scale up over double your current open shard "
                          "count. Current open shard count: {}, Target shard count: {}",
                          current, target));
}

violation shard_count_under_half(std::size_t current, std::size_t target) {
  return make(error_code::limit_exceeded,
              fmt::format("UpdateShardCount cannot scale down below half your current open "
                          "shard count. Current open shard count: {}, Target shard count: {}",
                          current, target));
}

// ---- retention ----------------------------------------------------------------------------

violation retention_too_short(std::int64_t hours) {
  return make(error_code::invalid_argument,
              fmt::format("Minimum allowed retention period is {} hours. Requested retention "
                          "period ({} hours) is too short.",
                          min_retention_hours, hours));
}

violation retention_too_long(std::int64_t hours) {
  return make(error_code::invalid_argument,
              fmt::format("Maximum allowed retention period is {} hours. Requested retention "
                          "period ({} hours) is too long.",
                          max_retention_hours, hours));
}

violation retention_shorter_than_current(int hours, std::string_view stream, int current) {
  return make(error_code::invalid_argument,
              fmt::format("Requested retention period ({} hours) for stream {} can not be "
                          "shorter than existing retention period ({} hours). Use "
                          "DecreaseRetentionPeriod API.",
                          hours, stream, current));
}

violation retention_longer_than_current(int hours, std::string_view stream, int current) {
  return make(error_code::invalid_argument,
              fmt::format("Requested retention period ({} hours) for stream {} can not be "
                          "longer than existing retention period ({} hours). Use "
                          "IncreaseRetentionPeriod API.",
                          hours, stream, current));
}

// ---- tags ---------------------------------------------------------------------------------

violation too_many_tags(std::string_view stream, std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("Failed to add tags to stream {} under account {} because a given "
                          "stream cannot have more than {} tags associated with it.",
                          stream, account, tags_per_stream));
}

violation tag_characters() {
  return make(error_code::invalid_argument,
              "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
              "white space, _ . / = + - % @.");
}

// ---- records ------------------------------------------------------------------------------

violation bad_explicit_hash_key(std::string_view text) {
  return make(error_code::invalid_argument,
              fmt::format("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                          "[0, 2^128-1]. Specified value was {}",
                          text));
}

violation split_key_outside_key_space(std::string_view text) {
  return make(
      error_code::invalid_argument,
      fmt::format("NewStartingHashKey {} is outside the hash key range [0, 2^128-1].", text));
}

violation record_too_large(std::size_t bytes) {
  return make(error_code::invalid_argument,
              fmt::format("Record size {} exceeds the maximum of {} bytes (data plus partition "
                          "key).",
                          bytes, max_record_bytes));
}

violation record_over_stream_limit(std::size_t bytes, int limit_kib, std::string_view stream,
                                   std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("Record size {} exceeds the maximum record size of {} KiB (data plus "
                          "partition key) of stream {} under account {}.",
                          bytes, limit_kib, stream, account));
}

violation shard_rate_exceeded(std::string_view shard_id, std::string_view stream,
                              std::string_view account) {
  return make(error_code::throughput_exceeded,
              fmt::format("Rate exceeded for shard {} in stream {} under account {}.", shard_id,
                          stream, account));
}

violation ordering_number_invalid(std::string_view number, std::string_view stream,
                                  std::string_view account) {
  return make(error_code::invalid_argument,
              fmt::format("ExclusiveMinimumSequenceNumber {} used in PutRecord on stream {} "
                          "under account {} is invalid.",
                          number, stream, account));
}

violation stream_name_or_arn_required() {
  return make(error_code::invalid_argument, "Either StreamName or StreamARN must be provided.");
}

violation arn_and_name_differ(std::string_view arn, std::string_view name) {
  return make(
      error_code::invalid_argument,
      fmt::format("StreamARN {} and StreamName {} do not name the same stream.", arn, name));
}

// ---- iterators and pages ------------------------------------------------------------------

violation starting_sequence_number_invalid(std::string_view number, std::string_view shard_id,
                                           std::string_view stream, std::string_view account,
                                           bool foreign) {
  return make(error_code::invalid_argument,
              fmt::format("StartingSequenceNumber {} used in GetShardIterator on shard {} in "
                          "stream {} under account {} is invalid{}.",
                          number, shard_id, stream, account,
                          foreign ? " because it did not come from this stream" : ""));
}

violation sequence_number_of_other_shard(std::string_view encoded_shard_id,
                                         std::string_view shard_id) {
  return make(error_code::invalid_argument,
              fmt::format("Invalid StartingSequenceNumber. It encodes {}, while it was used in a "
                          "call to a shard with {}",
                          encoded_shard_id, shard_id));
}

violation invalid_shard_iterator() {
  return make(error_code::invalid_argument, "Invalid ShardIterator.");
}

violation iterator_expired(std::string_view issued, std::string_view now,
                           std::int64_t tolerated_ms) {
  return make(error_code::expired_iterator,
              fmt::format("Iterator expired. The iterator was created at time {} while right now "
                          "it is {} which is further in the future than the tolerated delay of "
                          "{} milliseconds.",
                          issued, now, tolerated_ms));
}

violation next_token_with_stream() {
  return make(error_code::invalid_argument,
              "NextToken and StreamName cannot be provided together.");
}

violation next_token_or_stream_required() {
  return make(error_code::invalid_argument, "Either NextToken or StreamName should be provided.");
}

violation next_token_malformed() {
  return make(error_code::invalid_argument, "NextToken is improperly formatted.");
}

violation next_token_expired() {
  return make(error_code::expired_next_token, "The NextToken has expired.");
}

violation after_shard_id_needs_shard() {
  return make(error_code::invalid_argument,
              "ShardId must be supplied in a ShardFilter with a Type of AFTER_SHARD_ID");
}

violation consumer_arn_or_stream_and_name_required() {
  return make(error_code::invalid_argument,
              "ConsumerArn or both ConsumerName and StreamARN are required for this request.");
}

// ---- consumers ----------------------------------------------------------------------------

violation consumer_not_found(std::string_view consumer, std::string_view stream,
                             std::string_view account) {
  return make(error_code::resource_not_found,
              fmt::format("Consumer {} under stream {} not found for account {}.", consumer, stream,
                          account));
}

violation consumer_already_exists(std::string_view consumer, std::string_view stream,
                                  std::string_view account) {
  return make(error_code::resource_in_use,
              fmt::format("Consumer {} under stream {} already exists for account {}.", consumer,
                          stream, account));
}

violation consumer_limit_exceeded(std::string_view stream, std::string_view account) {
  return make(error_code::limit_exceeded,
              fmt::format("Consumer limit of {} for stream {} under account {} has been reached.",
                          consumers_per_stream, stream, account));
}

violation subscription_in_use(std::string_view account, std::string_view stream,
                              std::string_view shard_id, std::string_view consumer) {
  return make(error_code::resource_in_use,
              fmt::format("Another active subscription exists for this consumer: {}:{}:{}:{}",
                          account, stream, shard_id, consumer));
}

violation consumers_creating_limit(std::string_view stream, std::string_view account) {
  return make(error_code::limit_exceeded,
              fmt::format("Only {} consumers can be in CREATING state at the same time for "
                          "stream {} under account {}.",
                          consumers_creating_at_once, stream, account));
}

}  // namespace spate::kinesis
