// fake_stream: the in-process Kinesis behind the `kinesis` interface, for users' unit tests.
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

#include "client/hash_key.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace spate::client {
namespace {

using uint128 = detail::hash_key;
using detail::parse_decimal;
using detail::to_decimal;
constexpr uint128 uint128_max = ~uint128{0};

constexpr const char* account_id = "000000000000";
constexpr const char* stream_arn_prefix = "arn:aws:kinesis:us-east-1:000000000000:stream/";
constexpr int default_shard_count = 4;
constexpr int account_shard_limit = 500;
constexpr int on_demand_stream_limit = 50;
constexpr int max_shards_per_stream = 10000;
constexpr int consumer_limit = 20;
constexpr int tag_limit = 50;
constexpr int min_retention_hours = 24;
constexpr int max_retention_hours = 8760;
constexpr int get_records_max_limit = 10000;
constexpr std::size_t get_records_max_bytes = 10 * 1024 * 1024;
constexpr std::size_t max_record_bytes = 1024 * 1024;  // data plus partition key
constexpr std::size_t max_partition_key_length = 256;
constexpr std::size_t put_records_max_entries = 500;
constexpr std::size_t put_records_max_bytes = 5 * 1024 * 1024;
constexpr int list_shards_max_page = 1000;
constexpr int list_streams_default_limit = 100;
constexpr std::size_t subscribe_batch_records = 1000;
constexpr int sequence_digits = 56;

// ---- values -------------------------------------------------------------------------------

error aws_error(const char* code, std::string message) {
  return {code, std::move(message), 400};
}
error not_found(std::string message) {
  return aws_error("ResourceNotFoundException", std::move(message));
}
error in_use(std::string message) {
  return aws_error("ResourceInUseException", std::move(message));
}
error invalid_argument(std::string message) {
  return aws_error("InvalidArgumentException", std::move(message));
}
error limit_exceeded(std::string message) {
  return aws_error("LimitExceededException", std::move(message));
}
error validation(std::string message) {
  return aws_error("ValidationException", std::move(message));
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
  const auto v = parse_decimal(s.substr(first));
  if (!v || *v > UINT64_MAX) return std::nullopt;
  return static_cast<std::uint64_t>(*v);
}

struct key_range {
  uint128 start = 0;
  uint128 end = 0;
};

// `n` ranges covering [0, 2^128 - 1], each floor(2^128 / n) keys, the last taking the rest.
std::vector<key_range> split_evenly(int n) {
  const uint128 count = static_cast<unsigned>(n);
  uint128 step = uint128_max / count;
  if (uint128_max % count == count - 1) ++step;  // count divides 2^128
  std::vector<key_range> ranges;
  for (int i = 0; i < n; ++i) {
    const uint128 start = step * static_cast<unsigned>(i);
    ranges.push_back({start, i + 1 == n ? uint128_max : start + step - 1});
  }
  return ranges;
}

std::string shard_id_of(int index) {
  std::string digits = std::to_string(index);
  return "shardId-" + std::string(digits.size() < 12 ? 12 - digits.size() : 0, '0') + digits;
}

bool valid_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
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

// ---- state --------------------------------------------------------------------------------

struct stored_record {
  std::uint64_t sequence = 0;
  std::string partition_key;
  std::string data;
  std::int64_t arrival_ms = 0;
};

struct fake_shard {
  int index = 0;
  std::string id;
  std::string parent;           // empty if none
  std::string adjacent_parent;  // empty if none
  key_range range;
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
  std::map<std::string, std::string> tags;
};

struct stream_data {
  std::string name;
  std::string arn;
  std::uint64_t id = 0;
  std::int64_t created_ms = 0;
  bool on_demand = false;
  int retention_hours = 24;
  int next_shard_index = 0;
  std::vector<fake_shard> shards;  // in shard-id order
  std::map<std::string, std::string> tags;
  std::map<std::string, fake_consumer> consumers;  // by consumer name

  int open_shard_count() const {
    return static_cast<int>(
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

  int account_open_shards() const {
    int n = 0;
    for (const auto& [name, s] : streams) n += s->open_shard_count();
    return n;
  }

  outcome<stream_data*> find_by_name(const std::string& name) {
    auto it = streams.find(name);
    if (it == streams.end()) {
      return not_found("Stream " + name + " under account " + account_id + " not found.");
    }
    return it->second.get();
  }

  outcome<stream_data*> find_by_arn(const std::string& arn) {
    if (arn.rfind(stream_arn_prefix, 0) != 0 ||
        arn.find('/', std::string_view(stream_arn_prefix).size()) != std::string::npos) {
      return invalid_argument("Invalid StreamARN " + arn + ".");
    }
    return find_by_name(arn.substr(std::string_view(stream_arn_prefix).size()));
  }

  outcome<stream_data*> find(const stream_ref& ref) {
    if (!ref.stream_arn.empty()) return find_by_arn(ref.stream_arn);
    if (ref.stream_name.empty()) {
      return invalid_argument("Either StreamName or StreamARN must be provided.");
    }
    return find_by_name(ref.stream_name);
  }

  outcome<fake_shard*> find_shard(stream_data& stream, const std::string& shard_id) {
    if (fake_shard* s = stream.find_shard(shard_id)) return s;
    return not_found("Shard " + shard_id + " in stream " + stream.name + " under account " +
                     account_id + " does not exist");
  }

  // Adds an open shard; its starting number is above every number issued so far.
  fake_shard& add_shard(stream_data& stream, key_range range, std::string parent,
                        std::string adjacent_parent, std::int64_t now) {
    fake_shard s;
    s.index = stream.next_shard_index++;
    s.id = shard_id_of(s.index);
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
  outcome<put_record_response> append(stream_data& stream, const std::string& partition_key,
                                      const std::string& explicit_hash_key, std::string data) {
    uint128 hash = 0;
    if (explicit_hash_key.empty()) {
      hash = detail::partition_hash(partition_key);
    } else {
      auto parsed = parse_decimal(explicit_hash_key);
      if (!parsed) {
        return invalid_argument(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
            "[0, 2^128-1]. Specified value was " +
            explicit_hash_key);
      }
      hash = *parsed;
    }
    for (auto& s : stream.shards) {
      if (!s.open() || hash < s.range.start || hash > s.range.end) continue;
      stored_record r;
      r.sequence = take_sequence();
      r.partition_key = partition_key;
      r.data = std::move(data);
      r.arrival_ms = std::max(now_ms(), s.records.empty() ? 0 : s.records.back().arrival_ms);
      s.records.push_back(std::move(r));
      return put_record_response{s.id, format_sequence(s.records.back().sequence)};
    }
    return error{"InternalFailure", "no open shard owns the hash key", 500};  // a fake bug
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
    switch (position.kind) {
      case start_kind::trim_horizon:
        return std::size_t{0};
      case start_kind::latest:
        return s.records.size();
      case start_kind::at_timestamp: {
        auto it = std::partition_point(s.records.begin(), s.records.end(), [&](const auto& r) {
          return r.arrival_ms < position.timestamp_ms;
        });
        return static_cast<std::size_t>(it - s.records.begin());
      }
      case start_kind::at_sequence_number:
      case start_kind::after_sequence_number: {
        const auto n = parse_sequence(position.sequence_number);
        auto it = n ? std::lower_bound(s.records.begin(), s.records.end(), *n, by_sequence)
                    : s.records.end();
        const bool is_record = n && it != s.records.end() && it->sequence == *n;
        const bool is_bound = n && (*n == s.starting_sequence || *n == s.ending_sequence);
        if (!is_record && !is_bound) {
          return invalid_argument("StartingSequenceNumber " + position.sequence_number +
                                  " used in GetShardIterator on shard " + s.id + " in stream " +
                                  stream.name + " under account " + account_id +
                                  " is invalid because it did not come from this stream.");
        }
        if (position.kind == start_kind::after_sequence_number && is_record) ++it;
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
    const std::size_t at = arn.find("/consumer/");
    if (at == std::string::npos) return {nullptr, nullptr};
    auto stream = find_by_arn(arn.substr(0, at));
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
      if (!consumer) {
        return not_found("Consumer " + consumer_arn + " under account " + account_id +
                         " not found.");
      }
      return std::pair{stream, consumer};
    }
    if (stream_arn.empty() || name.empty()) {
      return invalid_argument(
          "Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
    }
    auto stream = find_by_arn(stream_arn);
    if (!stream) return stream.err();
    auto it = (*stream)->consumers.find(name);
    if (it == (*stream)->consumers.end()) {
      return not_found("Consumer " + name + " under stream " + stream_arn + " not found.");
    }
    return std::pair{*stream, &it->second};
  }

  // The tag map an ARN names: a stream's or a consumer's.
  outcome<std::map<std::string, std::string>*> tags_of(const std::string& arn) {
    if (arn.find("/consumer/") != std::string::npos) {
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

// Shared checks of AddTagsToStream and TagResource.
outcome<void> merge_tags(std::map<std::string, std::string>& into,
                         const std::map<std::string, std::string>& tags) {
  if (tags.empty() || tags.size() > static_cast<std::size_t>(tag_limit)) {
    return invalid_argument("Between 1 and 50 tags can be added in one call.");
  }
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128 || value.size() > 256) {
      return invalid_argument("Tag keys must be 1 to 128 characters and values at most 256.");
    }
  }
  std::map<std::string, std::string> merged = into;
  for (const auto& [key, value] : tags) merged[key] = value;
  if (merged.size() > static_cast<std::size_t>(tag_limit)) {
    return limit_exceeded("A resource can have at most 50 tags.");
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

stream_description describe(const stream_data& stream) {
  stream_description d;
  d.stream_name = stream.name;
  d.stream_arn = stream.arn;
  d.stream_status = "ACTIVE";
  d.stream_mode = stream.on_demand ? "ON_DEMAND" : "PROVISIONED";
  d.retention_hours = stream.retention_hours;
  d.created_ms = stream.created_ms;
  d.encryption_type = "NONE";
  return d;
}

// ListShards' ShardFilter. Nothing expires, so the trim horizon is the stream's creation.
bool passes_filter(const list_shards_request& req, const stream_data& stream, const fake_shard& s,
                   int after_index) {
  const std::string& type = req.filter;
  if (type.empty() || type == "FROM_TRIM_HORIZON") return true;
  if (type == "AFTER_SHARD_ID") return s.index > after_index;
  if (type == "AT_TRIM_HORIZON") return s.initial;
  if (type == "AT_LATEST") return s.open();
  const std::int64_t t = std::max(req.filter_timestamp_ms, stream.created_ms);
  if (type == "AT_TIMESTAMP") return s.created_ms <= t && (s.open() || s.closed_ms >= t);
  return s.open() || s.closed_ms >= t;  // FROM_TIMESTAMP
}

// The shard index a shard id names, or -1.
int index_of_shard_id(const std::string& shard_id) {
  const std::string_view prefix = "shardId-";
  if (shard_id.rfind(prefix, 0) != 0 ||
      !all_digits(std::string_view(shard_id).substr(prefix.size())) ||
      shard_id.size() - prefix.size() > 12) {
    return -1;
  }
  return std::stoi(shard_id.substr(prefix.size()));
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

outcome<void> fake_stream::create_stream(const create_stream_request& req) {
  SPATE_FAKE_ENTER();
  if (!valid_stream_name(req.stream_name)) {
    return validation("StreamName must be 1 to 128 characters of [a-zA-Z0-9_.-].");
  }
  if (req.shard_count && *req.shard_count < 1) {
    return validation("ShardCount must be at least 1.");
  }
  if (state_->streams.count(req.stream_name)) {
    return in_use("Stream " + req.stream_name + " under account " + account_id +
                  " already exists.");
  }
  const int shard_count = req.shard_count.value_or(default_shard_count);
  if (req.on_demand) {
    int on_demand = 0;
    for (const auto& [name, s] : state_->streams) on_demand += s->on_demand;
    if (on_demand + 1 > on_demand_stream_limit) {
      return limit_exceeded("This request would exceed the limit of on-demand streams.");
    }
  }
  const int open = state_->account_open_shards();
  if (shard_count > max_shards_per_stream || open + shard_count > account_shard_limit) {
    return limit_exceeded("This request would exceed the shard limit for the account " +
                          std::string(account_id) + " in us-east-1. Current limit of shards is " +
                          std::to_string(account_shard_limit) +
                          ". Number of shards that would have " + "resulted from this request is " +
                          std::to_string(open + shard_count) + ".");
  }
  std::map<std::string, std::string> tags;
  if (!req.tags.empty()) {
    if (auto r = merge_tags(tags, req.tags); !r) return r;
  }
  auto stream = std::make_unique<stream_data>();
  stream->name = req.stream_name;
  stream->arn = stream_arn_prefix + req.stream_name;
  stream->id = state_->next_stream_id++;
  stream->created_ms = std::max(now_ms(), state_->last_created_ms + 1);
  state_->last_created_ms = stream->created_ms;
  stream->on_demand = req.on_demand;
  stream->tags = std::move(tags);
  for (const auto& range : split_evenly(shard_count)) {
    state_->add_shard(*stream, range, {}, {}, stream->created_ms).initial = true;
  }
  state_->streams.emplace(req.stream_name, std::move(stream));
  return {};
}

outcome<void> fake_stream::delete_stream(const stream_ref& ref, bool enforce_consumer_deletion) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  if (!stream->consumers.empty() && !enforce_consumer_deletion) {
    return in_use("Stream " + stream->name + " under account " + account_id +
                  " has registered consumers.");
  }
  state_->streams.erase(stream->name);
  return {};
}

outcome<stream_description> fake_stream::describe_stream(const stream_ref& ref) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  stream_description d = describe(*stream);
  for (const auto& s : stream->shards) d.shards.push_back(describe_shard(s));
  d.open_shard_count = stream->open_shard_count();
  d.consumer_count = static_cast<int>(stream->consumers.size());
  return d;
}

outcome<stream_description> fake_stream::describe_stream_summary(const stream_ref& ref) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  stream_description d = describe(*stream);
  d.open_shard_count = stream->open_shard_count();
  d.consumer_count = static_cast<int>(stream->consumers.size());
  return d;
}

outcome<list_streams_response> fake_stream::list_streams(const list_streams_request& req) {
  SPATE_FAKE_ENTER();
  if (req.limit && (*req.limit < 1 || *req.limit > 10000)) {
    return validation("Limit must be between 1 and 10000.");
  }
  std::string after = req.exclusive_start_stream_name;
  if (!req.next_token.empty()) {
    if (req.next_token.rfind("fake-streams|", 0) != 0) {
      return invalid_argument("NextToken is improperly formatted.");
    }
    after = req.next_token.substr(std::string_view("fake-streams|").size());
  }
  const auto limit = static_cast<std::size_t>(req.limit.value_or(list_streams_default_limit));
  list_streams_response out;
  auto it = after.empty() ? state_->streams.begin() : state_->streams.upper_bound(after);
  for (; it != state_->streams.end(); ++it) {
    if (out.stream_names.size() == limit) {
      out.has_more = true;
      out.next_token = "fake-streams|" + out.stream_names.back();
      break;
    }
    const stream_data& s = *it->second;
    out.stream_names.push_back(s.name);
    const stream_description d = describe(s);
    out.summaries.push_back(
        {d.stream_name, d.stream_arn, d.stream_status, d.stream_mode, d.created_ms});
  }
  return out;
}

outcome<list_shards_response> fake_stream::list_shards(const list_shards_request& req) {
  SPATE_FAKE_ENTER();
  const bool named = !req.stream.stream_name.empty() || !req.stream.stream_arn.empty();
  if (!req.next_token.empty() && named) {
    return invalid_argument("NextToken and StreamName cannot be provided together.");
  }
  if (req.next_token.empty() && !named) {
    return invalid_argument("Either NextToken or StreamName should be provided.");
  }
  if (req.max_results && (*req.max_results < 1 || *req.max_results > 10000)) {
    return validation("MaxResults must be between 1 and 10000.");
  }
  // NextToken: "fake-shards|<stream>|<stream id>|<last shard id>|<filter>|<filter shard>|<ms>".
  list_shards_request effective = req;
  std::uint64_t expected_id = 0;
  if (!req.next_token.empty()) {
    const auto f = split(req.next_token, '|');
    if (f.size() != 7 || f[0] != "fake-shards" || !all_digits(f[2]) || !all_digits(f[6])) {
      return invalid_argument("NextToken is improperly formatted.");
    }
    effective.stream = {f[1], {}};
    expected_id = std::stoull(f[2]);
    effective.exclusive_start_shard_id = f[3];
    effective.filter = f[4];
    effective.filter_shard_id = f[5];
    effective.filter_timestamp_ms = std::stoll(f[6]);
  }
  SPATE_FAKE_TRY(stream, state_->find(effective.stream));
  if (expected_id != 0 && stream->id != expected_id) {
    return invalid_argument("NextToken belongs to a stream that no longer exists.");
  }
  static const char* filters[] = {
      "",          "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
      "AT_LATEST", "AT_TIMESTAMP",   "FROM_TIMESTAMP"};
  if (std::find_if(std::begin(filters), std::end(filters),
                   [&](const char* f) { return effective.filter == f; }) == std::end(filters)) {
    return validation("Unknown ShardFilter type " + effective.filter + ".");
  }
  int after_filter = -1;
  if (effective.filter == "AFTER_SHARD_ID") {
    after_filter = index_of_shard_id(effective.filter_shard_id);
    if (after_filter < 0) {
      return invalid_argument(
          "ShardId must be supplied in a ShardFilter with a Type of AFTER_SHARD_ID");
    }
  }
  int after = -1;
  if (!effective.exclusive_start_shard_id.empty()) {
    after = index_of_shard_id(effective.exclusive_start_shard_id);
    if (after < 0) return validation("Invalid ExclusiveStartShardId.");
  }
  const auto max = static_cast<std::size_t>(
      std::min(req.max_results.value_or(list_shards_max_page), list_shards_max_page));
  list_shards_response out;
  for (const auto& s : stream->shards) {
    if (s.index <= after || !passes_filter(effective, *stream, s, after_filter)) continue;
    if (out.shards.size() == max) {
      out.next_token = "fake-shards|" + stream->name + "|" + std::to_string(stream->id) + "|" +
                       out.shards.back().shard_id + "|" + effective.filter + "|" +
                       effective.filter_shard_id + "|" +
                       std::to_string(effective.filter_timestamp_ms);
      break;
    }
    out.shards.push_back(describe_shard(s));
  }
  return out;
}

outcome<limits> fake_stream::describe_limits() {
  SPATE_FAKE_ENTER();
  limits l;
  l.shard_limit = account_shard_limit;
  l.open_shard_count = state_->account_open_shards();
  for (const auto& [name, s] : state_->streams) l.on_demand_stream_count += s->on_demand;
  l.on_demand_stream_count_limit = on_demand_stream_limit;
  return l;
}

namespace {

// The shape checks AWS makes on one record before anything is stored.
std::optional<error> check_record(const std::string& partition_key, const std::string& data,
                                  const std::string& explicit_hash_key) {
  if (partition_key.empty() || partition_key.size() > max_partition_key_length) {
    return validation("PartitionKey must be 1 to 256 characters long.");
  }
  if (data.size() + partition_key.size() > max_record_bytes) {
    return validation("Record data plus partition key exceeds the 1 MiB limit.");
  }
  if (!explicit_hash_key.empty()) {
    if (!all_digits(explicit_hash_key) || explicit_hash_key.size() > 39 ||
        (explicit_hash_key.size() > 1 && explicit_hash_key[0] == '0')) {
      return validation("ExplicitHashKey must match 0|([1-9]\\d{0,38}).");
    }
    if (!parse_decimal(explicit_hash_key)) {
      return invalid_argument(
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
          "[0, 2^128-1]. Specified value was " +
          explicit_hash_key);
    }
  }
  return std::nullopt;
}

}  // namespace

outcome<put_record_response> fake_stream::put_record(const put_record_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  if (auto e = check_record(req.partition_key, req.data, req.explicit_hash_key)) return *e;
  if (!req.sequence_number_for_ordering.empty() &&
      !parse_sequence(req.sequence_number_for_ordering)) {
    return invalid_argument("ExclusiveMinimumSequenceNumber " + req.sequence_number_for_ordering +
                            " used in PutRecord on stream " + stream->name + " under account " +
                            account_id + " is invalid.");
  }
  // The shared counter already numbers every new record above any number issued before.
  return state_->append(*stream, req.partition_key, req.explicit_hash_key, req.data);
}

outcome<put_records_response> fake_stream::put_records(
    const stream_ref& ref, const std::vector<put_records_entry>& records) {
  std::function<bool(const put_records_entry&)> fail;
  std::string name;
  std::uint64_t id = 0;
  {
    SPATE_FAKE_ENTER();
    SPATE_FAKE_TRY(stream, state_->find(ref));
    if (records.empty() || records.size() > put_records_max_entries) {
      return validation("Records must hold 1 to 500 entries.");
    }
    std::size_t bytes = 0;
    for (const auto& r : records) {
      if (auto e = check_record(r.partition_key, r.data, r.explicit_hash_key)) return *e;
      bytes += r.data.size() + r.partition_key.size();
    }
    if (bytes > put_records_max_bytes) {
      return invalid_argument("Records size " + std::to_string(bytes) +
                              " exceeds the PutRecords limit of 5 MiB.");
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
  if (!found || (*found)->id != id) {
    return not_found("Stream " + name + " under account " + account_id + " not found.");
  }
  put_records_response out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    put_records_result_entry result;
    if (throttled[i]) {
      result.error_code = "ProvisionedThroughputExceededException";
      result.error_message =
          "Rate exceeded for shard in stream " + name + " under account " + account_id + ".";
      ++out.failed_record_count;
    } else {
      auto put = state_->append(**found, records[i].partition_key, records[i].explicit_hash_key,
                                records[i].data);
      if (put) {
        result.shard_id = put->shard_id;
        result.sequence_number = put->sequence_number;
      } else {
        result.error_code = "InternalFailure";
        result.error_message = put.err().message;
        ++out.failed_record_count;
      }
    }
    out.records.push_back(std::move(result));
  }
  return out;
}

outcome<std::string> fake_stream::get_shard_iterator(const get_shard_iterator_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  SPATE_FAKE_TRY(s, state_->find_shard(*stream, req.shard_id));
  SPATE_FAKE_TRY(position, state_->position_of(*stream, *s, req.position));
  return "fake|" + stream->name + "|" + std::to_string(stream->id) + "|" + s->id + "|" +
         std::to_string(position);
}

outcome<get_records_response> fake_stream::get_records(const std::string& shard_iterator,
                                                       std::optional<int> limit) {
  SPATE_FAKE_ENTER();
  if (limit && (*limit < 1 || *limit > get_records_max_limit)) {
    return validation("Limit must be between 1 and 10000.");
  }
  const auto f = split(shard_iterator, '|');
  if (f.size() != 5 || f[0] != "fake" || !all_digits(f[2]) || !all_digits(f[4]) ||
      f[4].size() > 18) {
    return invalid_argument("Invalid ShardIterator.");
  }
  SPATE_FAKE_TRY(stream, state_->find_by_name(f[1]));
  if (std::to_string(stream->id) != f[2]) {
    return not_found("Stream " + f[1] + " under account " + account_id + " not found.");
  }
  SPATE_FAKE_TRY(s, state_->find_shard(*stream, f[3]));
  const auto position = static_cast<std::size_t>(std::stoull(f[4]));
  if (position > s->records.size()) return invalid_argument("Invalid ShardIterator.");

  get_records_response out;
  const auto max = static_cast<std::size_t>(limit.value_or(get_records_max_limit));
  std::size_t next = position;
  std::size_t bytes = 0;
  while (next < s->records.size() && out.records.size() < max) {
    const stored_record& r = s->records[next];
    const std::size_t size = r.data.size() + r.partition_key.size();
    if (!out.records.empty() && bytes + size > get_records_max_bytes) break;
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

namespace {

std::string not_eligible(const fake_shard& s, const stream_data& stream, const char* action) {
  return "Shard " + s.id + " in stream " + stream.name + " under account " + account_id +
         " has already been merged or split, and thus is not eligible for " + action + ".";
}

}  // namespace

outcome<void> fake_stream::split_shard(const split_shard_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  SPATE_FAKE_TRY(parent, state_->find_shard(*stream, req.shard_to_split));
  if (!parent->open()) return invalid_argument(not_eligible(*parent, *stream, "splitting"));
  const auto new_start = parse_decimal(req.new_starting_hash_key);
  if (!new_start) {
    return validation("NewStartingHashKey must be a decimal 128-bit number.");
  }
  const key_range range = parent->range;
  if (*new_start <= range.start + 1 || *new_start >= range.end) {
    return invalid_argument("NewStartingHashKey " + req.new_starting_hash_key +
                            " used in SplitShard() on shard " + parent->id + " in stream " +
                            stream->name + " under account " + account_id +
                            " is not both greater than one plus the shard's StartingHashKey " +
                            to_decimal(range.start) + " and less than the shard's EndingHashKey " +
                            to_decimal(range.end) + ".");
  }
  if (state_->account_open_shards() + 1 > account_shard_limit) {
    return limit_exceeded("This request would exceed the shard limit for the account.");
  }
  const std::int64_t now = now_ms();
  const std::string parent_id = parent->id;
  state_->close_shard(*parent, now);  // before add_shard: it may move the shards
  state_->add_shard(*stream, {range.start, *new_start - 1}, parent_id, {}, now);
  state_->add_shard(*stream, {*new_start, range.end}, parent_id, {}, now);
  return {};
}

outcome<void> fake_stream::merge_shards(const merge_shards_request& req) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(req.stream));
  SPATE_FAKE_TRY(first, state_->find_shard(*stream, req.shard_to_merge));
  SPATE_FAKE_TRY(second, state_->find_shard(*stream, req.adjacent_shard_to_merge));
  for (const fake_shard* s : {first, second}) {
    if (!s->open()) return invalid_argument(not_eligible(*s, *stream, "merging"));
  }
  const key_range a = first->range;
  const key_range b = second->range;
  const bool adjacent = (a.end != uint128_max && a.end + 1 == b.start) ||
                        (b.end != uint128_max && b.end + 1 == a.start);
  if (first == second || !adjacent) {
    return invalid_argument("Shards " + first->id + " and " + second->id + " in stream " +
                            stream->name + " under account " + account_id +
                            " are not an adjacent pair of shards eligible for merging");
  }
  const std::int64_t now = now_ms();
  const std::string first_id = first->id;
  const std::string second_id = second->id;
  state_->close_shard(*first, now);
  state_->close_shard(*second, now);
  state_->add_shard(*stream, {std::min(a.start, b.start), std::max(a.end, b.end)}, first_id,
                    second_id, now);
  return {};
}

// Uniform scaling as AWS does it, through splits and merges: each open shard is split at every
// target boundary inside it (a chain of splits of the right-hand piece), then the pieces of each
// target range are merged left to right (a chain of merges). Pieces that are split or merged
// again are closed at once and stay empty. Every new shard thus has at most two parents that
// cover its range exactly, and reads its parents' keys only after they end.
outcome<update_shard_count_response> fake_stream::update_shard_count(const stream_ref& ref,
                                                                     int target) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  if (target < 1) return validation("TargetShardCount must be at least 1.");
  const int current = stream->open_shard_count();
  const std::string counts = " Current open shard count: " + std::to_string(current) +
                             ", Target shard count: " + std::to_string(target);
  if (target > max_shards_per_stream ||
      state_->account_open_shards() - current + target > account_shard_limit) {
    return limit_exceeded("Target shard count or number of open shards cannot be greater than " +
                          std::to_string(account_shard_limit) + "." + counts);
  }
  if (target > current * 2) {
    return limit_exceeded(
        "UpdateShardCount cannot scale up over double your current open shard "
        "count." +
        counts);
  }
  if (target * 2 < current) {
    return limit_exceeded(
        "UpdateShardCount cannot scale down below half your current open "
        "shard count." +
        counts);
  }
  update_shard_count_response out{current, target};
  if (target == current) return out;

  const std::int64_t now = now_ms();
  std::vector<int> open;  // shard indexes (positions in stream->shards), by starting key
  for (std::size_t i = 0; i < stream->shards.size(); ++i) {
    if (stream->shards[i].open()) open.push_back(static_cast<int>(i));
  }
  std::sort(open.begin(), open.end(), [&](int x, int y) {
    return stream->shards[x].range.start < stream->shards[y].range.start;
  });
  const std::vector<key_range> targets = split_evenly(target);
  auto add = [&](key_range range, int parent, int adjacent) {
    state_->add_shard(*stream, range, stream->shards[parent].id,
                      adjacent < 0 ? std::string() : stream->shards[adjacent].id, now);
    return static_cast<int>(stream->shards.size() - 1);
  };

  std::vector<int> pieces;
  for (int s : open) {
    int rest = s;
    for (const auto& t : targets) {
      const key_range r = stream->shards[rest].range;
      if (t.start <= r.start || t.start > r.end) continue;
      state_->close_shard(stream->shards[rest], now);
      pieces.push_back(add({r.start, t.start - 1}, rest, -1));
      rest = add({t.start, r.end}, rest, -1);
    }
    pieces.push_back(rest);
  }
  std::size_t next_piece = 0;
  for (const auto& t : targets) {
    int acc = pieces[next_piece++];
    while (stream->shards[acc].range.end < t.end) {
      const int right = pieces[next_piece++];
      state_->close_shard(stream->shards[acc], now);
      state_->close_shard(stream->shards[right], now);
      acc = add({stream->shards[acc].range.start, stream->shards[right].range.end}, acc, right);
    }
  }
  return out;
}

outcome<void> fake_stream::update_stream_mode(const std::string& stream_arn, bool on_demand) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find_by_arn(stream_arn));
  if (on_demand && !stream->on_demand) {
    int count = 0;
    for (const auto& [name, s] : state_->streams) count += s->on_demand;
    if (count + 1 > on_demand_stream_limit) {
      return limit_exceeded("This request would exceed the limit of on-demand streams.");
    }
  }
  stream->on_demand = on_demand;
  return {};
}

namespace {

std::optional<error> check_retention_hours(int hours) {
  if (hours < min_retention_hours) {
    return invalid_argument(
        "Minimum allowed retention period is 24 hours. Requested retention "
        "period (" +
        std::to_string(hours) + " hours) is too short.");
  }
  if (hours > max_retention_hours) {
    return invalid_argument(
        "Maximum allowed retention period is 8760 hours. Requested "
        "retention period (" +
        std::to_string(hours) + " hours) is too long.");
  }
  return std::nullopt;
}

}  // namespace

outcome<void> fake_stream::increase_retention(const stream_ref& ref, int hours) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  if (auto e = check_retention_hours(hours)) return *e;
  if (hours < stream->retention_hours) {
    return invalid_argument(
        "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
        stream->name + " can not be shorter than existing retention period (" +
        std::to_string(stream->retention_hours) + " hours). Use DecreaseRetentionPeriod API.");
  }
  stream->retention_hours = hours;
  return {};
}

outcome<void> fake_stream::decrease_retention(const stream_ref& ref, int hours) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  if (auto e = check_retention_hours(hours)) return *e;
  if (hours > stream->retention_hours) {
    return invalid_argument(
        "Requested retention period (" + std::to_string(hours) + " hours) for stream " +
        stream->name + " can not be longer than existing retention period (" +
        std::to_string(stream->retention_hours) + " hours). Use IncreaseRetentionPeriod API.");
  }
  stream->retention_hours = hours;
  return {};
}

outcome<void> fake_stream::add_tags(const stream_ref& ref,
                                    const std::map<std::string, std::string>& tags) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  return merge_tags(stream->tags, tags);
}

outcome<void> fake_stream::remove_tags(const stream_ref& ref,
                                       const std::vector<std::string>& keys) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  for (const auto& k : keys) stream->tags.erase(k);
  return {};
}

outcome<std::map<std::string, std::string>> fake_stream::list_tags(const stream_ref& ref) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find(ref));
  return stream->tags;
}

outcome<void> fake_stream::tag_resource(const std::string& arn,
                                        const std::map<std::string, std::string>& tags) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(arn));
  return merge_tags(*target, tags);
}

outcome<void> fake_stream::untag_resource(const std::string& arn,
                                          const std::vector<std::string>& keys) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(arn));
  for (const auto& k : keys) target->erase(k);
  return {};
}

outcome<std::map<std::string, std::string>> fake_stream::list_tags_for_resource(
    const std::string& arn) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(target, state_->tags_of(arn));
  return *target;
}

outcome<consumer_description> fake_stream::register_consumer(const std::string& stream_arn,
                                                             const std::string& consumer_name) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(stream, state_->find_by_arn(stream_arn));
  if (!valid_stream_name(consumer_name)) {
    return validation("ConsumerName must be 1 to 128 characters of [a-zA-Z0-9_.-].");
  }
  if (stream->consumers.count(consumer_name)) {
    return in_use("Consumer " + consumer_name + " under stream " + stream_arn + " already exists.");
  }
  if (stream->consumers.size() >= static_cast<std::size_t>(consumer_limit)) {
    return limit_exceeded("Stream " + stream_arn + " already has " +
                          std::to_string(consumer_limit) + " registered consumers.");
  }
  const std::int64_t now = now_ms();
  fake_consumer c;
  c.description.consumer_name = consumer_name;
  c.description.consumer_arn =
      stream->arn + "/consumer/" + consumer_name + ":" + std::to_string(now / 1000);
  c.description.consumer_status = "ACTIVE";
  c.description.created_ms = now;
  c.description.stream_arn = stream->arn;
  auto [it, added] = stream->consumers.emplace(consumer_name, std::move(c));
  return it->second.description;
}

outcome<consumer_description> fake_stream::describe_consumer(const std::string& consumer_arn,
                                                             const std::string& stream_arn,
                                                             const std::string& consumer_name) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(found, state_->find_consumer(consumer_arn, stream_arn, consumer_name));
  return found.second->description;
}

outcome<list_consumers_response> fake_stream::list_consumers(const std::string& stream_arn,
                                                             const std::string& next_token) {
  SPATE_FAKE_ENTER();
  (void)next_token;  // every consumer fits one page (at most 20 per stream)
  SPATE_FAKE_TRY(stream, state_->find_by_arn(stream_arn));
  list_consumers_response out;
  for (const auto& [name, c] : stream->consumers) out.consumers.push_back(c.description);
  return out;
}

outcome<void> fake_stream::deregister_consumer(const std::string& consumer_arn,
                                               const std::string& stream_arn,
                                               const std::string& consumer_name) {
  SPATE_FAKE_ENTER();
  SPATE_FAKE_TRY(found, state_->find_consumer(consumer_arn, stream_arn, consumer_name));
  found.first->consumers.erase(found.second->description.consumer_name);
  return {};
}

outcome<void> fake_stream::subscribe_to_shard(const subscribe_request& req,
                                              const subscribe_handler& on_event) {
  // The events are built under the lock from what the shard holds now, then delivered
  // without it, so the handler may call the fake (and records it puts are not part of them).
  std::vector<subscribe_event> events;
  {
    SPATE_FAKE_ENTER();
    auto [stream, consumer] = state_->find_consumer_by_arn(req.consumer_arn);
    if (!consumer) {
      return not_found("Consumer " + req.consumer_arn + " under account " + account_id +
                       " not found.");
    }
    SPATE_FAKE_TRY(s, state_->find_shard(*stream, req.shard_id));
    SPATE_FAKE_TRY(position, state_->position_of(*stream, *s, req.position));
    const std::int64_t now = now_ms();
    std::size_t next = position;
    while (next < s->records.size()) {
      subscribe_event event;
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
    subscribe_event last;
    if (!s->open()) {
      last.child_shards = state_->children_of(*stream, *s);
    } else {
      last.continuation_sequence_number =
          format_sequence(next > 0 ? s->records[next - 1].sequence : s->starting_sequence);
    }
    events.push_back(std::move(last));
  }
  for (const auto& event : events) {
    if (!on_event(event)) break;
  }
  return {};
}

#undef SPATE_FAKE_ENTER
#undef SPATE_FAKE_TRY

}  // namespace spate::client
