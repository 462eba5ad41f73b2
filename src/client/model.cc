// The enumerations' AWS spellings (model.h), and hash_key_midpoint from the rulebook's
// spate::kinesis::midpoint over the decimal keys AWS writes.
#include "common/uint128.h"
#include "kinesis/hash_keys.h"

#include <spate/client/model.h>

#include <array>
#include <utility>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;

namespace spate::client {
namespace {

template <class E, std::size_t N>
using spellings = std::array<std::pair<E, std::string_view>, N>;

constexpr spellings<stream_status, 4> stream_statuses = {{{stream_status::creating, "CREATING"},
                                                          {stream_status::deleting, "DELETING"},
                                                          {stream_status::active, "ACTIVE"},
                                                          {stream_status::updating, "UPDATING"}}};
constexpr spellings<stream_mode, 2> stream_modes = {
    {{stream_mode::provisioned, "PROVISIONED"}, {stream_mode::on_demand, "ON_DEMAND"}}};
constexpr spellings<encryption_type, 2> encryption_types = {
    {{encryption_type::none, "NONE"}, {encryption_type::kms, "KMS"}}};
constexpr spellings<consumer_status, 3> consumer_statuses = {
    {{consumer_status::creating, "CREATING"},
     {consumer_status::deleting, "DELETING"},
     {consumer_status::active, "ACTIVE"}}};
constexpr spellings<shard_filter_type, 6> shard_filter_types = {
    {{shard_filter_type::after_shard_id, "AFTER_SHARD_ID"},
     {shard_filter_type::at_trim_horizon, "AT_TRIM_HORIZON"},
     {shard_filter_type::from_trim_horizon, "FROM_TRIM_HORIZON"},
     {shard_filter_type::at_latest, "AT_LATEST"},
     {shard_filter_type::at_timestamp, "AT_TIMESTAMP"},
     {shard_filter_type::from_timestamp, "FROM_TIMESTAMP"}}};
constexpr spellings<shard_iterator_type, 5> shard_iterator_types = {
    {{shard_iterator_type::trim_horizon, "TRIM_HORIZON"},
     {shard_iterator_type::latest, "LATEST"},
     {shard_iterator_type::at_timestamp, "AT_TIMESTAMP"},
     {shard_iterator_type::at_sequence_number, "AT_SEQUENCE_NUMBER"},
     {shard_iterator_type::after_sequence_number, "AFTER_SEQUENCE_NUMBER"}}};
constexpr spellings<scaling_type, 1> scaling_types = {
    {{scaling_type::uniform_scaling, "UNIFORM_SCALING"}}};
constexpr spellings<commitment_status, 3> commitment_statuses = {
    {{commitment_status::enabled, "ENABLED"},
     {commitment_status::disabled, "DISABLED"},
     {commitment_status::enabled_until_earliest_allowed_end,
      "ENABLED_UNTIL_EARLIEST_ALLOWED_END"}}};

template <class E, std::size_t N>
std::string_view spell(const spellings<E, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return {};  // `unknown`
}

template <class E, std::size_t N>
std::optional<E> lookup(const spellings<E, N>& table, std::string_view text) {
  for (const auto& [v, t] : table) {
    if (t == text) return v;
  }
  return std::nullopt;
}

}  // namespace

// Each enumeration's two conversions, from its table.
#define SPATE_SPELLED_AS(E, table)                \
  std::string_view to_string(E v) {               \
    return spell(table, v);                       \
  }                                               \
  template <>                                     \
  std::optional<E> parse(std::string_view text) { \
    return lookup(table, text);                   \
  }
SPATE_SPELLED_AS(stream_status, stream_statuses)
SPATE_SPELLED_AS(stream_mode, stream_modes)
SPATE_SPELLED_AS(encryption_type, encryption_types)
SPATE_SPELLED_AS(consumer_status, consumer_statuses)
SPATE_SPELLED_AS(shard_filter_type, shard_filter_types)
SPATE_SPELLED_AS(shard_iterator_type, shard_iterator_types)
SPATE_SPELLED_AS(scaling_type, scaling_types)
SPATE_SPELLED_AS(commitment_status, commitment_statuses)
#undef SPATE_SPELLED_AS

std::string hash_key_midpoint(const hash_key_range& range) {
  const auto lo = parse_uint128(range.starting_hash_key);
  const auto hi = parse_uint128(range.ending_hash_key);
  if (!lo || !hi) return {};
  const auto middle = rulebook::midpoint({*lo, *hi});
  return middle ? to_decimal(*middle) : std::string();
}

}  // namespace spate::client
