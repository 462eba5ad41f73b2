// errors: the Kinesis error vocabulary and the exact messages AWS answers with.
//
// `error_code` names every error spated answers and the client's fake_stream returns; `name()`
// gives its AWS `__type` and `http_status()` its status. A `violation` is a code plus the
// message the caller will read. The message builders below are the only place their text is
// written: the engine, the api layer and fake_stream all call them, so the server and the fake
// cannot drift apart. Each text is AWS's, as its API reference, the SDKs' models and the
// answers of the real service show it (trailing period or not, as AWS writes it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::kinesis {

enum class error_code {
  resource_not_found,      // ResourceNotFoundException
  resource_in_use,         // ResourceInUseException
  limit_exceeded,          // LimitExceededException
  invalid_argument,        // InvalidArgumentException
  validation,              // ValidationException
  expired_iterator,        // ExpiredIteratorException
  expired_next_token,      // ExpiredNextTokenException
  throughput_exceeded,     // ProvisionedThroughputExceededException
  access_denied,           // AccessDeniedException
  serialization,           // SerializationException
  unknown_operation,       // UnknownOperationException
  missing_authentication,  // MissingAuthenticationTokenException
  incomplete_signature,    // IncompleteSignatureException
  invalid_signature,       // InvalidSignatureException
  unrecognized_client,     // UnrecognizedClientException
  service_unavailable,     // ServiceUnavailable (503)
  internal,                // InternalFailure (500)
};

// AWS's `__type` for `code`, e.g. "ResourceNotFoundException".
std::string_view name(error_code code);
// The code whose name is `type` (with or without a "namespace#" prefix, as some SDKs and the
// CBOR protocol write it); nullopt when it names none of them.
std::optional<error_code> parse_error_code(std::string_view type);
// 400 for every client error, 500 for InternalFailure, 503 for ServiceUnavailable.
unsigned http_status(error_code code);

struct violation {
  error_code code;
  std::string message;
};

// ---- streams ------------------------------------------------------------------------------
violation stream_not_found(std::string_view stream, std::string_view account);
violation stream_already_exists(std::string_view stream, std::string_view account);
violation stream_not_active(std::string_view stream, std::string_view account,
                            std::string_view status);
violation shard_not_found(std::string_view shard_id, std::string_view stream,
                          std::string_view account);
// A ShardId that is not a shard id at all (AWS answers this before looking the stream up).
violation shard_not_parsed(std::string_view shard, std::string_view stream,
                           std::string_view account);
violation shard_limit_exceeded(std::string_view account, std::string_view region, std::size_t open,
                               std::size_t limit, std::size_t additional);
violation on_demand_stream_limit_exceeded(std::size_t limit, std::string_view account,
                                          std::string_view region);
violation provisioned_only();
violation stream_has_consumers(std::string_view stream, std::string_view account);

// ---- resharding ---------------------------------------------------------------------------
violation shard_not_splittable(std::string_view shard_id, std::string_view stream,
                               std::string_view account);
violation shard_not_mergeable(std::string_view shard_id, std::string_view stream,
                              std::string_view account);
violation split_key_out_of_range(std::string_view new_start, std::string_view shard_id,
                                 std::string_view stream, std::string_view account,
                                 std::string_view range_start, std::string_view range_end);
violation shards_not_adjacent(std::string_view shard_id, std::string_view adjacent_id,
                              std::string_view stream, std::string_view account);
violation shard_count_over_limit(std::size_t limit, std::size_t current, std::size_t target);
violation shard_count_over_double(std::size_t current, std::size_t target);
violation shard_count_under_half(std::size_t current, std::size_t target);

// ---- retention ----------------------------------------------------------------------------
violation retention_too_short(std::int64_t hours);
violation retention_too_long(std::int64_t hours);
// IncreaseStreamRetentionPeriod to less than the current period, and the converse.
violation retention_shorter_than_current(int hours, std::string_view stream, int current);
violation retention_longer_than_current(int hours, std::string_view stream, int current);

// ---- tags ---------------------------------------------------------------------------------
violation too_many_tags(std::string_view stream, std::string_view account);
violation tag_characters();

// ---- records ------------------------------------------------------------------------------
violation bad_explicit_hash_key(std::string_view text);
violation split_key_outside_key_space(std::string_view text);
// Over AWS's largest record (max_record_bytes), whatever the stream's own limit.
violation record_too_large(std::size_t bytes);
// Over the stream's limit (UpdateMaxRecordSize).
violation record_over_stream_limit(std::size_t bytes, int limit_kib, std::string_view stream,
                                   std::string_view account);
violation shard_rate_exceeded(std::string_view shard_id, std::string_view stream,
                              std::string_view account);
violation ordering_number_invalid(std::string_view number, std::string_view stream,
                                  std::string_view account);
violation stream_name_or_arn_required();
violation arn_and_name_differ(std::string_view arn, std::string_view name);

// ---- iterators and pages ------------------------------------------------------------------
// A StartingSequenceNumber this stream never issued (`foreign`: a well-formed one of another).
violation starting_sequence_number_invalid(std::string_view number, std::string_view shard_id,
                                           std::string_view stream, std::string_view account,
                                           bool foreign);
violation sequence_number_of_other_shard(std::string_view encoded_shard_id,
                                         std::string_view shard_id);
violation invalid_shard_iterator();
// Times as AWS prints them in this message (see the engine's amz_time).
violation iterator_expired(std::string_view issued, std::string_view now,
                           std::int64_t tolerated_ms);
violation next_token_with_stream();
violation next_token_or_stream_required();
violation next_token_malformed();
violation next_token_expired();
violation after_shard_id_needs_shard();
violation consumer_arn_or_stream_and_name_required();

// ---- consumers ----------------------------------------------------------------------------
violation consumer_not_found(std::string_view consumer, std::string_view stream,
                             std::string_view account);
violation consumer_already_exists(std::string_view consumer, std::string_view stream,
                                  std::string_view account);
violation consumer_limit_exceeded(std::string_view stream, std::string_view account);
violation consumers_creating_limit(std::string_view stream, std::string_view account);
// SubscribeToShard within 5 s of the live subscription of the same consumer and shard.
violation subscription_in_use(std::string_view account, std::string_view stream,
                              std::string_view shard_id, std::string_view consumer);

}  // namespace spate::kinesis
