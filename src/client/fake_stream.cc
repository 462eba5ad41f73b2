// fake_stream: the in-process Kinesis behind the `kinesis` interface, for users' unit tests.
//
// The Kinesis rules are spated's own, from the rulebook (src/kinesis): hash keys and even
// splits, shard ids, names and ARNs, limits, the checks before a stream changes,
// UpdateShardCount's series of splits and merges, and AWS's error messages.
//
// Everything lives in one `state` guarded by one mutex; no user callback (the put-failure
// predicate, a subscription's handler) is ever called with it held, so callbacks may call the
// fake again. Records are kept in per-shard vectors and never expire.
//
// Sequence numbers come from one counter shared by all streams, formatted as 56 zero-padded
// decimal digits: they grow within a shard, and a shard created by resharding numbers above
// its parents (its starting number is taken after their ending numbers). Shard iterators are
// "fake|<stream>|<stream id>|<shard id>|<record index>"; the stream id tells a stream deleted
// and created again from the old one.
#include "spate/client/fake_stream.h"

#include "common/uint128.h"
#include "kinesis/errors.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"
#include "kinesis/rules.h"
#include "kinesis/uniform_scaling.h"
#include "kinesis/validation.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;
namespace kv = spate::kinesis::validation;

namespace spate::client {
namespace {

using rulebook::hash_range;
using rulebook::shard_index;

// The fake's account and region, as spated's defaults.
constexpr const char* account_id = "000000000000";
constexpr const char* region = "us-east-1";
constexpr std::size_t account_shard_limit = rulebook::default_account_shard_limit;
constexpr std::size_t on_demand_stream_limit = rulebook::default_on_demand_stream_limit;
constexpr std::size_t subscribe_batch_records = 1000;
constexpr int sequence_digits = 56;

// ---- values -------------------------------------------------------------------------------

error aws_error(error_code code, std::string message) {
  return {code, std::move(message), 400};
}
// A rule of kinesis/ broken: its AWS error, as spated answers it.
error refused(rulebook::violation v) {
  return error::from_name(rulebook::name(v.code), std::move(v.message),
                          static_cast<int>(rulebook::http_status(v.code)));
}

// A ValidationException listing `failures` (kinesis/validation.h), or nothing if there are none:
// the request checks AWS makes before it looks anything up.
std::optional<error> invalid(const std::vector<std::string>& failures) {
  if (failures.empty()) return std::nullopt;
  return refused(kv::failed(failures));
}

// An optional integer member's range failures.
std::vector<std::string> range_failures(std::optional<int> value, std::string_view path,
                                        std::int64_t min, std::int64_t max) {
  return value ? kv::check_integer(*value, path, min, max) : std::vector<std::string>{};
}
error not_found(std::string message) {
  return aws_error(error_code::resource_not_found, std::move(message));
}
error invalid_argument(std::string message) {
  return aws_error(error_code::invalid_argument, std::move(message));
}
error validation(std::string message) {
  return aws_error(error_code::validation, std::move(message));
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string format_sequence(std::uint64_t n) {
  std::string digits = std::to_string(n);
  return std::string(sequence_digits - digits.size(), '0') + digits;
}

// A sequence number this fake could have issued, as its counter value.
std::optional<std::uint64_t> parse_sequence(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  const std::size_t first = s.find_first_not_of('0');
  if (first == std::string_view::npos) return 0;
  const auto v = parse_uint128(s.substr(first));
  if (!v || *v > UINT64_MAX) return std::nullopt;
  return static_cast<std::uint64_t>(*v);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = s.find(sep, from);
    parts.emplace_back(s.substr(from, at == std::string_view::npos ? s.npos : at - from));
    if (at == std::string_view::npos) return parts;
    from = at + 1;
  }
}

// A consumer ARN that names no consumer: the consumer and stream it names, as spated says.
error consumer_arn_not_found(const std::string& arn) {
  const auto parts = rulebook::parse_consumer_arn(arn);
  if (!parts) return not_found("Consumer " + arn + " under account " + account_id + " not found.");
  return refused(rulebook::consumer_not_found(
      parts->consumer, rulebook::parse_stream_arn(parts->stream_arn).name, account_id));
}

// ---- state --------------------------------------------------------------------------------

struct stored_record {
  std::uint64_t sequence = 0;
  std::string partition_key;
  std::string data;
  std::int64_t arrival_ms = 0;
};

struct fake_shard {
  shard_index index = 0;
  std::string id;
  std::string parent;           // empty if none
  std::string adjacent_parent;  // empty if none
  hash_range range;
  std::uint64_t starting_sequence = 0;
  std::optional<std::uint64_t> ending_sequence;  // set once closed
  std::int64_t created_ms = 0;
  std::int64_t closed_ms = 0;
  bool initial = false;  // one of the stream's first shards (open at the trim horizon)
  std::vector<stored_record> records;

  bool open() const { return !ending_sequence; }
  bool has_parent(const std::string& shard_id) const {
    return parent == shard_id || adjacent_parent == shard_id;
  }
};

struct fake_consumer {
  consumer_description description;
  tag_map tags;
};

struct stream_data {
  std::string name;
  std::string arn;
  std::uint64_t id = 0;
  std::int64_t created_ms = 0;
  bool on_demand = false;
  int retention_hours = rulebook::default_retention_hours;
  shard_index next_shard_index = 0;
  std::vector<fake_shard> shards;  // in shard-id order
  tag_map tags;
  std::map<std::string, fake_consumer> consumers;  // by consumer name

  std::size_t open_shard_count() const {
    return static_cast<std::size_t>(
        std::count_if(shards.begin(), shards.end(), [](const auto& s) { return s.open(); }));
  }
  fake_shard* find_shard(const std::string& shard_id) {
    for (auto& s : shards) {
      if (s.id == shard_id) return &s;
    }
    return nullptr;
  }
};

}  // namespace

struct fake_stream::state {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<stream_data>> streams;  // by name
  std::uint64_t next_sequence = 1;
  std::uint64_t next_stream_id = 1;
  std::int64_t last_created_ms = 0;
  std::function<bool(const put_records_entry&)> put_failure;
  int call_failures = 0;
  error call_failure;

  // The next injected call failure, if one is pending. Every action asks first.
  std::optional<error> injected_failure() {
    if (call_failures <= 0) return std::nullopt;
    --call_failures;
    return call_failure;
  }

  std::uint64_t take_sequence() { return next_sequence++; }

  std::size_t account_open_shards() const {
    std::size_t n = 0;
    for (const auto& [name, s] : streams) n += s->open_shard_count();
    return n;
  }

  std::size_t on_demand_stream_count() const {
    std::size_t n = 0;
    for (const auto& [name, s] : streams) n += s->on_demand;
    return n;
  }

  // The open shard a record goes to; null for an ExplicitHashKey that is not a hash key.
  fake_shard* owner(stream_data& stream, const std::string& partition_key,
                    const std::string& explicit_hash_key) {
    const auto hash = explicit_hash_key.empty()
                          ? std::optional(rulebook::partition_key_hash(partition_key))
                          : parse_uint128(explicit_hash_key);
    if (!hash) return nullptr;
    for (auto& s : stream.shards) {
      if (s.open() && s.range.contains(*hash)) return &s;
    }
    return nullptr;
  }

  outcome<stream_data*> find_by_name(const std::string& name) {
    auto it = streams.find(name);
    if (it == streams.end()) return refused(rulebook::stream_not_found(name, account_id));
    return it->second.get();
  }

  outcome<stream_data*> find_by_arn(const std::string& arn) {
    const std::string prefix = rulebook::stream_arn(region, account_id, "");
    if (!arn.starts_with(prefix) || arn.find('/', prefix.size()) != std::string::npos) {
      return invalid_argument("Invalid StreamARN " + arn + ".");
    }
    return find_by_name(arn.substr(prefix.size()));
  }

  outcome<stream_data*> find(const stream_ref& ref) {
    if (!ref.stream_arn.empty()) return find_by_arn(ref.stream_arn);
    if (ref.stream_name.empty()) return refused(rulebook::stream_name_or_arn_required());
    return find_by_name(ref.stream_name);
  }

  outcome<fake_shard*> find_shard(stream_data& stream, const std::string& shard_id) {
    if (fake_shard* s = stream.find_shard(shard_id)) return s;
    return refused(rulebook::shard_not_found(shard_id, stream.name, account_id));
  }

  // Adds an open shard; its starting number is above every number issued so far.
  fake_shard& add_shard(stream_data& stream, hash_range range, std::string parent,
                        std::string adjacent_parent, std::int64_t now) {
    fake_shard s;
    s.index = stream.next_shard_index++;
    s.id = rulebook::shard_id(s.index);
    s.parent = std::move(parent);
    s.adjacent_parent = std::move(adjacent_parent);
    s.range = range;
    s.starting_sequence = take_sequence();
    s.created_ms = now;
    stream.shards.push_back(std::move(s));
    return stream.shards.back();
  }

  void close_shard(fake_shard& s, std::int64_t now) {
    s.ending_sequence = take_sequence();
    s.closed_ms = now;
  }

  // Appends to the open shard owning the hash key.
  outcome<put_record_result> append(stream_data& stream, const std::string& partition_key,
                                    const std::string& explicit_hash_key, std::string data) {
    if (!explicit_hash_key.empty() && !parse_uint128(explicit_hash_key)) {
      return refused(rulebook::bad_explicit_hash_key(explicit_hash_key));
    }
    fake_shard* s = owner(stream, partition_key, explicit_hash_key);
    if (!s) {
      return error{error_code::internal_failure, "no open shard owns the hash key", 500};  // a bug
    }
    stored_record r;
    r.sequence = take_sequence();
    r.partition_key = partition_key;
    r.data = std::move(data);
    r.arrival_ms = std::max(now_ms(), s->records.empty() ? 0 : s->records.back().arrival_ms);
    s->records.push_back(std::move(r));
    return put_record_result{s->id, format_sequence(s->records.back().sequence)};
  }

  std::vector<child_shard> children_of(const stream_data& stream, const fake_shard& parent) const {
    std::vector<child_shard> children;
    for (const auto& s : stream.shards) {
      if (!s.has_parent(parent.id)) continue;
      child_shard c;
      c.shard_id = s.id;
      c.parent_shards.push_back(s.parent);
      if (!s.adjacent_parent.empty()) c.parent_shards.push_back(s.adjacent_parent);
      c.hash_range = {to_decimal(s.range.start), to_decimal(s.range.end)};
      children.push_back(std::move(c));
    }
    return children;
  }

  // Index of the first record a reader starting at `position` reads.
  outcome<std::size_t> position_of(const stream_data& stream, const fake_shard& s,
                                   const start_position& position) const {
    auto by_sequence = [](const stored_record& r, std::uint64_t n) { return r.sequence < n; };
    switch (position.type) {
      case shard_iterator_type::trim_horizon:
        return std::size_t{0};
      case shard_iterator_type::latest:
        return s.records.size();
      case shard_iterator_type::at_timestamp: {
        auto it = std::partition_point(s.records.begin(), s.records.end(), [&](const auto& r) {
          return r.arrival_ms < position.timestamp_ms;
        });
        return static_cast<std::size_t>(it - s.records.begin());
      }
      case shard_iterator_type::at_sequence_number:
      case shard_iterator_type::after_sequence_number: {
        const auto n = parse_sequence(position.sequence_number);
        auto it = n ? std::lower_bound(s.records.begin(), s.records.end(), *n, by_sequence)
                    : s.records.end();
        const bool is_record = n && it != s.records.end() && it->sequence == *n;
        const bool is_bound = n && (*n == s.starting_sequence || *n == s.ending_sequence);
        if (!is_record && !is_bound) {
          return refused(rulebook::starting_sequence_number_invalid(
              position.sequence_number, s.id, stream.name, account_id, n.has_value()));
        }
        if (position.type == shard_iterator_type::after_sequence_number && is_record) ++it;
        return static_cast<std::size_t>(it - s.records.begin());
      }
    }
    return std::size_t{0};
  }

  std::int64_t millis_behind(const fake_shard& s, std::size_t next) const {
    if (next >= s.records.size()) return 0;
    return std::max<std::int64_t>(0, now_ms() - s.records[next].arrival_ms);
  }

  // The consumer an ARN names: "<stream arn>/consumer/<name>:<seconds>".
  std::pair<stream_data*, fake_consumer*> find_consumer_by_arn(const std::string& arn) {
    const auto parts = rulebook::parse_consumer_arn(arn);
    if (!parts) return {nullptr, nullptr};
    auto stream = find_by_arn(std::string(parts->stream_arn));
    if (!stream) return {nullptr, nullptr};
    for (auto& [name, c] : (*stream)->consumers) {
      if (c.description.consumer_arn == arn) return {*stream, &c};
    }
    return {*stream, nullptr};
  }

  outcome<std::pair<stream_data*, fake_consumer*>> find_consumer(const std::string& consumer_arn,
                                                                 const std::string& stream_arn,
                                                                 const std::string& name) {
    if (!consumer_arn.empty()) {
      auto [stream, consumer] = find_consumer_by_arn(consumer_arn);
      if (!consumer) return consumer_arn_not_found(consumer_arn);
      return std::pair{stream, consumer};
    }
    if (stream_arn.empty() || name.empty()) {
      return refused(rulebook::consumer_arn_or_stream_and_name_required());
    }
    auto stream = find_by_arn(stream_arn);
    if (!stream) return stream.err();
    auto it = (*stream)->consumers.find(name);
    if (it == (*stream)->consumers.end()) {
      return refused(rulebook::consumer_not_found(name, (*stream)->name, account_id));
    }
    return std::pair{*stream, &it->second};
  }

  // The tag map an ARN names: a stream's or a consumer's.
  outcome<tag_map*> tags_of(const std::string& arn) {
    if (rulebook::parse_consumer_arn(arn)) {
      auto [stream, consumer] = find_consumer_by_arn(arn);
      if (!consumer) return not_found("Resource " + arn + " not found.");
      return &consumer->tags;
    }
    auto stream = find_by_arn(arn);
    if (!stream) return stream.err();
    return &(*stream)->tags;
  }
};

namespace {

// Shared checks of AddTagsToStream and TagResource; `name` is the resource's name in the
// too-many-tags message.
outcome<void> merge_tags(tag_map& into, const tag_map& tags, std::string_view name) {
  if (tags.empty() || tags.size() > rulebook::tags_per_call) {
    return validation("Between 1 and " + std::to_string(rulebook::tags_per_call) +
                      " tags can be added in one call.");
  }
  std::vector<std::string_view> texts;
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > rulebook::tag_key_max_length ||
        value.size() > rulebook::tag_value_max_length) {
      return validation("Tag keys must be 1 to 128 characters and values at most 256.");
    }
    texts.push_back(key);
    texts.push_back(value);
  }
  if (auto e = rulebook::check_tag_characters(texts)) return refused(std::move(*e));
  tag_map merged = into;
  for (const auto& [key, value] : tags) merged[key] = value;
  if (merged.size() > rulebook::tags_per_stream) {
    return refused(rulebook::too_many_tags(name, account_id));
  }
  into = std::move(merged);
  return {};
}

shard describe_shard(const fake_shard& s) {
  shard d;
  d.shard_id = s.id;
  d.parent_shard_id = s.parent;
  d.adjacent_parent_shard_id = s.adjacent_parent;
  d.hash_range = {to_decimal(s.range.start), to_decimal(s.range.end)};
  d.starting_sequence_number = format_sequence(s.starting_sequence);
  if (s.ending_sequence) d.ending_sequence_number = format_sequence(*s.ending_sequence);
  return d;
}

// The members DescribeStream, DescribeStreamSummary and ListStreams' summaries share. The
// fake's streams are ACTIVE from their creation on and never encrypted.
template <class Description>
Description describe(const stream_data& stream) {
  Description d;
  d.stream_name = stream.name;
  d.stream_arn = stream.arn;
  d.status = stream_status::active;
  d.mode = stream.on_demand ? stream_mode::on_demand : stream_mode::provisioned;
  d.created_ms = stream.created_ms;
  return d;
}

// ListShards' ShardFilter. Nothing expires, so the trim horizon is the stream's creation.
bool passes_filter(const std::optional<shard_filter>& filter, const stream_data& stream,
                   const fake_shard& s, std::int64_t after_index) {
  if (!filter) return true;
  const std::int64_t t = std::max(filter->timestamp_ms, stream.created_ms);
  switch (filter->type) {
    case shard_filter_type::from_trim_horizon:
      return true;
    case shard_filter_type::after_shard_id:
      return s.index > after_index;
    case shard_filter_type::at_trim_horizon:
      return s.initial;
    case shard_filter_type::at_latest:
      return s.open();
    case shard_filter_type::at_timestamp:
      return s.created_ms <= t && (s.open() || s.closed_ms >= t);
    case shard_filter_type::from_timestamp:
      return s.open() || s.closed_ms >= t;
  }
  return true;
}

// The shard index a shard id names (read leniently, as AWS reads them), or -1.
std::int64_t index_of_shard_id(const std::string& shard_id) {
  const auto index = rulebook::lenient_shard_index(shard_id);
  return index ? std::int64_t{*index} : -1;
}

}  // namespace

// ---- fake_stream ----------------------------------------------------------------------------

fake_stream::fake_stream() : state_(std::make_unique<state>()) {}
fake_stream::~fake_stream() = default;

void fake_stream::inject_put_failures(std::function<bool(const put_records_entry&)> fail) {
  std::lock_guard lock(state_->mu);
  state_->put_failure = std::move(fail);
}

void fake_stream::inject_call_failures(int n, error err) {
  std::lock_guard lock(state_->mu);
  state_->call_failures = n;
  state_->call_failure = std::move(err);
}

#define SPATE_FAKE_ENTER()           \
  std::unique_lock lock(state_->mu); \
  if (auto injected = state_->injected_failure()) return *injected

#define SPATE_FAKE_TRY(var, expr)                 \
  auto var##_outcome = (expr);                    \
  if (!var##_outcome) return var##_outcome.err(); \
  auto var = *var##_outcome

outcome<create_stream_result> fake_stream::create_stream(const create_stream_request& req) {
  SPATE_FAKE_ENTER();
  auto failures =
      range_failures(req.shard_count, "shardCount", 1, rulebook::max_requested_shard_count);
  const auto name = kv::check_string(req.stream_name, "streamName", kv::name_rule());
  failures.insert(failures.end(), name.begin(), name.end());
  if (auto e = invalid(failures)) return *e;
  if (state_->streams.count(req.stream_name)) {
    return refused(rulebook::stream_already_exists(req.stream_name, account_id));
  }
  const bool on_demand = req.mode == stream_mode::on_demand;
  std::size_t shard_count = req.shard_count ? static_cast<std::size_t>(*req.shard_count)
                            : on_demand     ? rulebook::on_demand_initial_shards
                                            : rulebook::default_shard_count;
  if (on_demand && state_->on_demand_stream_count() + 1 > on_demand_stream_limit) {
    return refused(
        rulebook::on_demand_stream_limit_exceeded(on_demand_stream_limit, account_id, region));
  }
  if (auto e = rulebook::check_shard_limit(account_id, region, state_->account_open_shards(),
                                           shard_count, account_shard_limit)) {
    return refused(std::move(*e));
  }
  tag_map tags;
  if (!req.tags.empty()) {
    if (auto r = merge_tags(tags, req.tags, req.stream_name); !r) return r.err();
  }
  auto stream = std::make_unique<stream_data>();
  stream->name = req.stream_name;
  stream->arn = rulebook::stream_arn(region, account_id, req.stream_name);
  stream->id = state_->next_stream_id++;
  stream->created_ms = std::max(now_ms(), state_->last_created_ms + 1);
  state_->last_created_ms = stream->created_ms;
  stream->on_demand = on_demand;
  stream->tags = std::move(tags);
  for (const auto& range : rulebook::split_evenly(shard_count)) {
    state_->add_shard(*stream, range, {}, {}, stream->created_ms).initial = true;
  }
  state_->streams.emplace(req.stream_name, std::move(stream));
  return create_stream_result{};
}

outcome<delete_stream_result> fake_stream::delete_stream(const delete_stream_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  if (!stream->consumers.empty() && !req.enforce_consumer_deletion) {
    return refused(rulebook::stream_has_consumers(stream->name, account_id));
  }
  state_->streams.erase(stream->name);
  return delete_stream_result{};
}

outcome<describe_stream_result> fake_stream::describe_stream(const describe_stream_request& req) {
  SPATE_FAKE_ENTER();
  if (auto e = invalid(range_failures(req.limit, "limit", 1, rulebook::max_results_limit))) {
    return *e;
  }
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  std::int64_t after = -1;
  if (!req.exclusive_start_shard_id.empty()) {
    after = index_of_shard_id(req.exclusive_start_shard_id);
  }
  describe_stream_result out{describe<stream_description>(*stream)};
  auto& d = out.description;
  d.retention_period_hours = stream->retention_hours;
  const auto page = static_cast<int>(rulebook::describe_stream_page);
  const auto max = static_cast<std::size_t>(std::min(req.limit.value_or(page), page));
  for (const auto& s : stream->shards) {
    if (s.index <= after) continue;
    if (d.shards.size() == max) {
      d.has_more_shards = true;
      break;
    }
    d.shards.push_back(describe_shard(s));
  }
  return out;
}

outcome<describe_stream_summary_result> fake_stream::describe_stream_summary(
    const describe_stream_summary_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  describe_stream_summary_result out{describe<stream_description_summary>(*stream)};
  auto& d = out.summary;
  d.retention_period_hours = stream->retention_hours;
  d.open_shard_count = static_cast<int>(stream->open_shard_count());
  d.consumer_count = static_cast<int>(stream->consumers.size());
  d.max_record_size_kib = static_cast<int>(rulebook::default_record_bytes / 1024);
  return out;
}

outcome<list_streams_result> fake_stream::list_streams(const list_streams_request& req) {
  SPATE_FAKE_ENTER();
  if (auto e = invalid(range_failures(req.limit, "limit", 1, rulebook::max_results_limit))) {
    return *e;
  }
  std::string after = req.exclusive_start_stream_name;
  if (!req.next_token.empty()) {
    if (req.next_token.rfind("fake-streams|", 0) != 0) {
      return refused(rulebook::next_token_malformed());
    }
    after = req.next_token.substr(std::string_view("fake-streams|").size());
  }
  const auto limit =
      static_cast<std::size_t>(req.limit.value_or(static_cast<int>(rulebook::list_streams_page)));
  list_streams_result out;
  auto it = after.empty() ? state_->streams.begin() : state_->streams.upper_bound(after);
  for (; it != state_->streams.end(); ++it) {
    if (out.stream_names.size() == limit) {
      out.has_more_streams = true;
      out.next_token = "fake-streams|" + out.stream_names.back();
      break;
    }
    const stream_data& s = *it->second;
    out.stream_names.push_back(s.name);
    out.stream_summaries.push_back(describe<stream_summary>(s));
  }
  return out;
}

outcome<list_shards_result> fake_stream::list_shards(const list_shards_request& req) {
  SPATE_FAKE_ENTER();
  const bool named = !req.stream.stream_name.empty() || !req.stream.stream_arn.empty();
  if (!req.next_token.empty() && named) {
    return refused(rulebook::next_token_with_stream());
  }
  if (req.next_token.empty() && !named) {
    return refused(rulebook::next_token_or_stream_required());
  }
  if (auto e =
          invalid(range_failures(req.max_results, "maxResults", 1, rulebook::max_results_limit))) {
    return *e;
  }
  // NextToken: "fake-shards|<stream>|<stream id>|<last shard id>|<filter>|<filter shard>|<ms>".
  list_shards_request effective = req;
  std::uint64_t expected_id = 0;
  if (!req.next_token.empty()) {
    const auto f = split(req.next_token, '|');
    if (f.size() != 7 || f[0] != "fake-shards" || !all_digits(f[2]) || !all_digits(f[6])) {
      return refused(rulebook::next_token_malformed());
    }
    effective.stream = {f[1], {}};
    expected_id = std::stoull(f[2]);
    effective.exclusive_start_shard_id = f[3];
    effective.filter.reset();
    if (!f[4].empty()) {
      const auto type = parse<shard_filter_type>(f[4]);
      if (!type) return refused(rulebook::next_token_malformed());
      effective.filter = shard_filter{*type, f[5], std::stoll(f[6])};
    }
  }
  SPATE_FAKE_TRY(stream, state_->find(effective.stream));
  if (expected_id != 0 && stream->id != expected_id) {
    return invalid_argument("NextToken belongs to a stream that no longer exists.");
  }
  std::int64_t after_filter = -1;
  if (effective.filter && effective.filter->type == shard_filter_type::after_shard_id) {
    after_filter = index_of_shard_id(effective.filter->shard_id);
    if (after_filter < 0) {
      return refused(rulebook::after_shard_id_needs_shard());
    }
  }
  std::int64_t after = -1;
  if (!effective.exclusive_start_shard_id.empty()) {
    after = index_of_shard_id(effective.exclusive_start_shard_id);
    if (after < 0) return validation("Invalid ExclusiveStartShardId.");
  }
  const auto page = static_cast<int>(rulebook::list_shards_page);
  const auto max = static_cast<std::size_t>(std::min(req.max_results.value_or(page), page));
  list_shards_result out;
  for (const auto& s : stream->shards) {
    if (s.index <= after || !passes_filter(effective.filter, *stream, s, after_filter)) continue;
    if (out.shards.size() == max) {
      const shard_filter& f = effective.filter.value_or(shard_filter{});
      out.next_token = "fake-shards|" + stream->name + "|" + std::to_string(stream->id) + "|" +
                       out.shards.back().shard_id + "|" +
                       (effective.filter ? std::string(to_string(f.type)) : std::string()) + "|" +
                       f.shard_id + "|" + std::to_string(f.timestamp_ms);
      break;
    }
    out.shards.push_back(describe_shard(s));
  }
  return out;
}

outcome<describe_limits_result> fake_stream::describe_limits(const describe_limits_request&) {
  SPATE_FAKE_ENTER();
  describe_limits_result l;
  l.shard_limit = static_cast<int>(account_shard_limit);
  l.open_shard_count = static_cast<int>(state_->account_open_shards());
  l.on_demand_stream_count = static_cast<int>(state_->on_demand_stream_count());
  l.on_demand_stream_count_limit = static_cast<int>(on_demand_stream_limit);
  return l;
}

namespace {

// The request checks of one record's PartitionKey and ExplicitHashKey, at `path` ("" for
// PutRecord, "records.N.member." for PutRecords), appended to `failures`.
void record_failures(const std::string& partition_key, const std::string& explicit_hash_key,
                     const std::string& path, std::vector<std::string>& failures) {
  const auto key = kv::check_string(
      partition_key, path + "partitionKey",
      {nullptr, {}, 1, static_cast<std::int64_t>(rulebook::max_partition_key_length)});
  failures.insert(failures.end(), key.begin(), key.end());
  if (!explicit_hash_key.empty()) {
    const auto hash =
        kv::check_string(explicit_hash_key, path + "explicitHashKey", kv::hash_key_rule());
    failures.insert(failures.end(), hash.begin(), hash.end());
  }
}

// What AWS refuses in one record once the request passed its checks.
std::optional<error> check_record(const std::string& partition_key, const std::string& data,
                                  const std::string& explicit_hash_key, std::string_view stream) {
  if (data.size() + partition_key.size() > rulebook::default_record_bytes) {
    return refused(rulebook::record_over_stream_limit(
        data.size() + partition_key.size(), rulebook::min_record_size_kib, stream, account_id));
  }
  if (!explicit_hash_key.empty()) {
    if (!parse_uint128(explicit_hash_key)) {
      return refused(rulebook::bad_explicit_hash_key(explicit_hash_key));
    }
  }
  return std::nullopt;
}

}  // namespace

outcome<put_record_result> fake_stream::put_record(const put_record_request& req) {
  SPATE_FAKE_ENTER();
  std::vector<std::string> failures;
  record_failures(req.partition_key, req.explicit_hash_key, "", failures);
  if (auto e = invalid(failures)) return *e;
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  if (auto e = check_record(req.partition_key, req.data, req.explicit_hash_key, stream->name)) {
    return *e;
  }
  if (!req.sequence_number_for_ordering.empty() &&
      !rulebook::old_layout_sequence_number(req.sequence_number_for_ordering) &&
      !parse_sequence(req.sequence_number_for_ordering)) {
    return refused(rulebook::ordering_number_invalid(req.sequence_number_for_ordering, stream->name,
                                                     account_id));
  }
  // The shared counter already numbers every new record above any number issued before.
  return state_->append(*stream, req.partition_key, req.explicit_hash_key, req.data);
}

outcome<put_records_result> fake_stream::put_records(const put_records_request& req) {
  const std::vector<put_records_entry>& records = req.records;
  std::function<bool(const put_records_entry&)> fail;
  std::string name;
  std::uint64_t id = 0;
  {
    SPATE_FAKE_ENTER();
    if (records.empty() || records.size() > rulebook::put_records_max_entries) {
      return validation("Records must hold 1 to 500 entries.");
    }
    std::vector<std::string> failures;
    for (std::size_t i = 0; i < records.size(); ++i) {
      record_failures(records[i].partition_key, records[i].explicit_hash_key,
                      "records." + std::to_string(i + 1) + ".member.", failures);
    }
    if (auto e = invalid(failures)) return *e;
    SPATE_FAKE_TRY(stream, state_->find(req.stream));
    std::size_t bytes = 0;
    for (const auto& r : records) {
      if (auto e = check_record(r.partition_key, r.data, r.explicit_hash_key, stream->name)) {
        return *e;
      }
      bytes += r.data.size() + r.partition_key.size();
    }
    if (bytes > rulebook::put_records_max_bytes) {
      return invalid_argument(
          "Records size " + std::to_string(bytes) + " exceeds the PutRecords limit of " +
          std::to_string(rulebook::put_records_max_bytes) + " bytes (data plus partition keys).");
    }
    fail = state_->put_failure;
    name = stream->name;
    id = stream->id;
  }
  // The predicate runs without the lock, so it may call the fake itself.
  std::vector<bool> throttled(records.size(), false);
  if (fail) {
    for (std::size_t i = 0; i < records.size(); ++i) throttled[i] = fail(records[i]);
  }
  std::lock_guard lock(state_->mu);
  auto found = state_->find_by_name(name);
  if (!found || (*found)->id != id) return refused(rulebook::stream_not_found(name, account_id));
  put_records_result out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    put_records_result_entry result;
    if (throttled[i]) {
      // The shard the record would have gone to, named as spated names it.
      const auto shard =
          state_->owner(**found, records[i].partition_key, records[i].explicit_hash_key);
      auto v = rulebook::shard_rate_exceeded(shard ? shard->id : "", name, account_id);
      result.failure = refused(std::move(v));
      result.failure->http_status = 200;
      ++out.failed_record_count;
    } else {
      auto put = state_->append(**found, records[i].partition_key, records[i].explicit_hash_key,
                                records[i].data);
      if (put) {
        result.shard_id = put->shard_id;
        result.sequence_number = put->sequence_number;
      } else {
        result.failure = put.err();
        result.failure->http_status = 200;
        ++out.failed_record_count;
      }
    }
    out.records.push_back(std::move(result));
  }
  return out;
}

outcome<get_shard_iterator_result> fake_stream::get_shard_iterator(
    const get_shard_iterator_request& req) {
  SPATE_FAKE_ENTER();
  auto found = state_->find(req.stream);
  if (!found && !req.stream.stream_name.empty() && req.stream.stream_arn.empty()) {
    // AWS names the shard (its id read leniently), not the stream, when the stream is missing.
    const auto index = rulebook::lenient_shard_index(req.shard_id);
    return refused(
        index ? rulebook::shard_not_found(rulebook::shard_id(*index), req.stream.stream_name,
                                          account_id)
              : rulebook::shard_not_parsed(req.shard_id, req.stream.stream_name, account_id));
  }
  SPATE_FAKE_TRY(stream, std::move(found));
  SPATE_FAKE_TRY(s, state_->find_shard(*stream, req.shard_id));
  SPATE_FAKE_TRY(position, state_->position_of(*stream, *s, req.position));
  return get_shard_iterator_result{"fake|" + stream->name + "|" + std::to_string(stream->id) + "|" +
                                   s->id + "|" + std::to_string(position)};
}

outcome<get_records_result> fake_stream::get_records(const get_records_request& req) {
  SPATE_FAKE_ENTER();
  const std::optional<int>& limit = req.limit;
  if (auto e = invalid(range_failures(limit, "limit", 1, rulebook::get_records_max_records))) {
    return *e;
  }
  const auto f = split(req.shard_iterator, '|');
  if (f.size() != 5 || f[0] != "fake" || !all_digits(f[2]) || !all_digits(f[4]) ||
      f[4].size() > 18) {
    return refused(rulebook::invalid_shard_iterator());
  }
  // An iterator of a deleted (or deleted and created again) stream: AWS names the shard.
  auto found = state_->find_by_name(f[1]);
  if (!found || std::to_string((*found)->id) != f[2]) {
    return refused(rulebook::shard_not_found(f[3], f[1], account_id));
  }
  stream_data* stream = *found;
  SPATE_FAKE_TRY(s, state_->find_shard(*stream, f[3]));
  const auto position = static_cast<std::size_t>(std::stoull(f[4]));
  if (position > s->records.size()) return refused(rulebook::invalid_shard_iterator());

  get_records_result out;
  const auto max = limit ? static_cast<std::size_t>(*limit) : rulebook::get_records_max_records;
  std::size_t next = position;
  std::size_t bytes = 0;
  while (next < s->records.size() && out.records.size() < max) {
    const stored_record& r = s->records[next];
    const std::size_t size = r.data.size() + r.partition_key.size();
    if (!out.records.empty() && bytes + size > rulebook::get_records_max_bytes) break;
    bytes += size;
    record copy;
    copy.sequence_number = format_sequence(r.sequence);
    copy.partition_key = r.partition_key;
    copy.data = r.data;
    copy.arrival_ms = r.arrival_ms;
    out.records.push_back(std::move(copy));
    ++next;
  }
  out.millis_behind_latest = state_->millis_behind(*s, next);
  if (!s->open() && next == s->records.size()) {
    out.child_shards = state_->children_of(*stream, *s);
  } else {
    out.next_shard_iterator =
        "fake|" + stream->name + "|" + f[2] + "|" + s->id + "|" + std::to_string(next);
  }
  return out;
}

outcome<split_shard_result> fake_stream::split_shard(const split_shard_request& req) {
  SPATE_FAKE_ENTER();
  if (auto e = invalid(
          kv::check_string(req.new_starting_hash_key, "newStartingHashKey", kv::hash_key_rule()))) {
    return *e;
  }
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  SPATE_FAKE_TRY(parent, state_->find_shard(*stream, req.shard_to_split));
  const auto new_start = parse_uint128(req.new_starting_hash_key);
  if (!new_start) {
    return refused(rulebook::split_key_outside_key_space(req.new_starting_hash_key));
  }
  if (auto e = rulebook::check_shard_limit(account_id, region, state_->account_open_shards(), 1,
                                           account_shard_limit)) {
    return refused(std::move(*e));
  }
  if (auto e = rulebook::check_split({stream->name, account_id},
                                     {parent->id, parent->range, parent->open()}, *new_start)) {
    return refused(std::move(*e));
  }
  const std::int64_t now = now_ms();
  const hash_range range = parent->range;
  const std::string parent_id = parent->id;
  state_->close_shard(*parent, now);  // before add_shard: it may move the shards
  state_->add_shard(*stream, {range.start, *new_start - 1}, parent_id, {}, now);
  state_->add_shard(*stream, {*new_start, range.end}, parent_id, {}, now);
  return split_shard_result{};
}

outcome<merge_shards_result> fake_stream::merge_shards(const merge_shards_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  SPATE_FAKE_TRY(first, state_->find_shard(*stream, req.shard_to_merge));
  SPATE_FAKE_TRY(second, state_->find_shard(*stream, req.adjacent_shard_to_merge));
  if (auto e = rulebook::check_merge({stream->name, account_id},
                                     {first->id, first->range, first->open()},
                                     {second->id, second->range, second->open()})) {
    return refused(std::move(*e));
  }
  const std::int64_t now = now_ms();
  const hash_range a = first->range;
  const hash_range b = second->range;
  const std::string first_id = first->id;
  const std::string second_id = second->id;
  state_->close_shard(*first, now);
  state_->close_shard(*second, now);
  state_->add_shard(*stream, {std::min(a.start, b.start), std::max(a.end, b.end)}, first_id,
                    second_id, now);
  return merge_shards_result{};
}

// Uniform scaling through rulebook::plan_uniform_scaling's series of splits and merges, applied
// to the fake's shards as spated's engine applies it: the new shards get the same ids, ranges
// and parents.
outcome<update_shard_count_result> fake_stream::update_shard_count(
    const update_shard_count_request& req) {
  SPATE_FAKE_ENTER();
  const int target = req.target_shard_count;
  if (auto e = invalid(
          kv::check_integer(target, "targetShardCount", 1, rulebook::max_requested_shard_count)))
    return *e;
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  const std::size_t current = stream->open_shard_count();
  const auto wanted = static_cast<std::size_t>(target);
  if (auto e = rulebook::check_shard_count(current, wanted, state_->account_open_shards(),
                                           account_shard_limit)) {
    return refused(std::move(*e));
  }
  update_shard_count_result out{stream->name, stream->arn, static_cast<int>(current), target};
  if (wanted == current) return out;

  struct sink : rulebook::reshard_sink {
    sink(fake_stream::state& state, stream_data& stream, std::int64_t now)
        : state(state), stream(stream), now(now) {}
    void close(shard_index shard) override { state.close_shard(stream.shards.at(shard), now); }
    shard_index add(hash_range range, shard_index parent,
                    std::optional<shard_index> adjacent) override {
      const std::string parent_id = stream.shards.at(parent).id;
      const std::string adjacent_id = adjacent ? stream.shards.at(*adjacent).id : std::string();
      return state.add_shard(stream, range, parent_id, adjacent_id, now).index;
    }
    fake_stream::state& state;
    stream_data& stream;
    std::int64_t now;
  };
  std::vector<rulebook::open_shard> open;
  for (const auto& s : stream->shards) {
    if (s.open()) open.push_back({s.index, s.range});
  }
  sink to_shards(*state_, *stream, now_ms());
  rulebook::plan_uniform_scaling(std::move(open), wanted, to_shards);
  return out;
}

outcome<update_stream_mode_result> fake_stream::update_stream_mode(
    const update_stream_mode_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find_by_arn(req.stream_arn));
  const bool on_demand = req.mode == stream_mode::on_demand;
  if (on_demand && !stream->on_demand &&
      state_->on_demand_stream_count() + 1 > on_demand_stream_limit) {
    return refused(
        rulebook::on_demand_stream_limit_exceeded(on_demand_stream_limit, account_id, region));
  }
  stream->on_demand = on_demand;
  return update_stream_mode_result{};
}

namespace {

// The two retention actions: bounds first, then the direction of the change.
outcome<decrease_stream_retention_period_result> change_retention(
    stream_data& stream, int hours, rulebook::retention_direction direction) {
  if (auto e = rulebook::check_retention_hours(hours)) return refused(std::move(*e));
  if (auto e =
          rulebook::check_retention_change(direction, hours, stream.name, stream.retention_hours)) {
    return refused(std::move(*e));
  }
  stream.retention_hours = hours;
  return decrease_stream_retention_period_result{};
}

}  // namespace

outcome<increase_stream_retention_period_result> fake_stream::increase_stream_retention_period(
    const increase_stream_retention_period_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  return change_retention(*stream, req.retention_period_hours,
                          rulebook::retention_direction::increase);
}

outcome<decrease_stream_retention_period_result> fake_stream::decrease_stream_retention_period(
    const decrease_stream_retention_period_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  return change_retention(*stream, req.retention_period_hours,
                          rulebook::retention_direction::decrease);
}

namespace {

// The actions that answer nothing: `done` (a merge_tags outcome) as the action's empty result.
template <class Result>
outcome<Result> answered(const outcome<void>& done) {
  if (!done) return done.err();
  return Result{};
}

}  // namespace

outcome<add_tags_to_stream_result> fake_stream::add_tags_to_stream(
    const add_tags_to_stream_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  return answered<add_tags_to_stream_result>(merge_tags(stream->tags, req.tags, stream->name));
}

outcome<remove_tags_from_stream_result> fake_stream::remove_tags_from_stream(
    const remove_tags_from_stream_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  for (const auto& k : req.tag_keys) stream->tags.erase(k);
  return remove_tags_from_stream_result{};
}

outcome<list_tags_for_stream_result> fake_stream::list_tags_for_stream(
    const list_tags_for_stream_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  const auto page = static_cast<int>(rulebook::list_tags_page);
  const auto max = static_cast<std::size_t>(std::min(req.limit.value_or(page), page));
  list_tags_for_stream_result out;
  auto it = req.exclusive_start_tag_key.empty()
                ? stream->tags.begin()
                : stream->tags.upper_bound(req.exclusive_start_tag_key);
  for (; it != stream->tags.end(); ++it) {
    if (out.tags.size() == max) {
      out.has_more_tags = true;
      break;
    }
    out.tags.insert(*it);
  }
  return out;
}

outcome<tag_resource_result> fake_stream::tag_resource(const tag_resource_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(req.resource_arn));
  return answered<tag_resource_result>(
      merge_tags(*target, req.tags, rulebook::parse_stream_arn(req.resource_arn).name));
}

outcome<untag_resource_result> fake_stream::untag_resource(const untag_resource_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(req.resource_arn));
  for (const auto& k : req.tag_keys) target->erase(k);
  return untag_resource_result{};
}

outcome<list_tags_for_resource_result> fake_stream::list_tags_for_resource(
    const list_tags_for_resource_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(req.resource_arn));
  return list_tags_for_resource_result{*target};
}

outcome<register_stream_consumer_result> fake_stream::register_stream_consumer(
    const register_stream_consumer_request& req) {
  SPATE_FAKE_ENTER();
  const std::string& consumer_name = req.consumer_name;
  if (auto e = invalid(kv::check_string(consumer_name, "consumerName", kv::name_rule()))) {
    return *e;
  }
  SPATE_FAKE_TRY(stream, state_->find_by_arn(req.stream_arn));
  if (stream->consumers.count(consumer_name)) {
    return refused(rulebook::consumer_already_exists(consumer_name, stream->name, account_id));
  }
  if (stream->consumers.size() >= rulebook::consumers_per_stream) {
    return refused(rulebook::consumer_limit_exceeded(stream->name, account_id));
  }
  const std::int64_t now = now_ms();
  fake_consumer c;
  c.description.consumer_name = consumer_name;
  c.description.consumer_arn = rulebook::consumer_arn(stream->arn, consumer_name, now);
  c.description.status = consumer_status::active;
  c.description.created_ms = now;
  c.description.stream_arn = stream->arn;
  auto [it, added] = stream->consumers.emplace(consumer_name, std::move(c));
  register_stream_consumer_result answer{it->second.description};
  answer.consumer.status = consumer_status::creating;  // as AWS answers; ACTIVE at once after
  return answer;
}

outcome<describe_stream_consumer_result> fake_stream::describe_stream_consumer(
    const describe_stream_consumer_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(found, state_->find_consumer(req.consumer_arn, req.stream_arn, req.consumer_name));
  return describe_stream_consumer_result{found.second->description};
}

outcome<list_stream_consumers_result> fake_stream::list_stream_consumers(
    const list_stream_consumers_request& req) {
  SPATE_FAKE_ENTER();
  // Every consumer fits one page (at most 20 per stream), so no NextToken is ever handed out.
  if (!req.next_token.empty()) return refused(rulebook::next_token_malformed());
  SPATE_FAKE_TRY(stream, state_->find_by_arn(req.stream_arn));
  list_stream_consumers_result out;
  for (const auto& [name, c] : stream->consumers) out.consumers.push_back(c.description);
  return out;
}

outcome<deregister_stream_consumer_result> fake_stream::deregister_stream_consumer(
    const deregister_stream_consumer_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(found, state_->find_consumer(req.consumer_arn, req.stream_arn, req.consumer_name));
  found.first->consumers.erase(found.second->description.consumer_name);
  return deregister_stream_consumer_result{};
}

outcome<subscribe_to_shard_result> fake_stream::subscribe_to_shard(
    const subscribe_to_shard_request& req) {
  // The events are built under the lock from what the shard holds now, then delivered
  // without it, so the handler may call the fake (and records it puts are not part of them).
  std::vector<subscribe_to_shard_event> events;
  {
    SPATE_FAKE_ENTER();
    auto [stream, consumer] = state_->find_consumer_by_arn(req.consumer_arn);
    if (!consumer) return consumer_arn_not_found(req.consumer_arn);
    SPATE_FAKE_TRY(s, state_->find_shard(*stream, req.shard_id));
    SPATE_FAKE_TRY(position, state_->position_of(*stream, *s, req.starting_position));
    const std::int64_t now = now_ms();
    std::size_t next = position;
    while (next < s->records.size()) {
      subscribe_to_shard_event event;
      const std::size_t end = std::min(s->records.size(), next + subscribe_batch_records);
      for (; next < end; ++next) {
        const stored_record& r = s->records[next];
        record copy;
        copy.sequence_number = format_sequence(r.sequence);
        copy.partition_key = r.partition_key;
        copy.data = r.data;
        copy.arrival_ms = r.arrival_ms;
        event.records.push_back(std::move(copy));
      }
      event.continuation_sequence_number = event.records.back().sequence_number;
      event.millis_behind_latest =
          next < s->records.size() ? std::max<std::int64_t>(0, now - s->records[next].arrival_ms)
                                   : 0;
      events.push_back(std::move(event));
    }
    subscribe_to_shard_event last;
    if (!s->open()) {
      last.child_shards = state_->children_of(*stream, *s);
    } else {
      last.continuation_sequence_number =
          format_sequence(next > 0 ? s->records[next - 1].sequence : s->starting_sequence);
    }
    events.push_back(std::move(last));
  }
  subscribe_to_shard_result out;
  for (const auto& event : events) {
    ++out.events;
    if (req.on_event && !req.on_event(event)) break;
  }
  return out;
}

#undef SPATE_FAKE_ENTER
#undef SPATE_FAKE_TRY

}  // namespace spate::client
