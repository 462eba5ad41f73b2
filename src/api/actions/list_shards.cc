// ListShards: a stream's shards, paged (MaxResults, NextToken, ExclusiveStartShardId) and
// filtered by the six ShardFilter types.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/pagination.h"
#include "common/clock.h"

#include <fmt/format.h>

#include <charconv>

namespace spate::api::actions {
namespace list_shards_action {
namespace {

// MaxResults accepts up to 10000, but AWS returns at most 1000 shards per call.
constexpr auto default_max_results = static_cast<std::int64_t>(kinesis::list_shards_page);

const shape filter_shape{{
    {.name = "Type",
     .required = true,
     .one_of = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST",
                "AT_TIMESTAMP", "FROM_TIMESTAMP"}},
    shard_id_member("ShardId", false),
    {.name = "Timestamp", .type = member_type::timestamp},
}};

const shape request{{
    {.name = "MaxResults",
     .type = member_type::integer,
     .min_value = 1,
     .max_value = static_cast<std::int64_t>(kinesis::max_results_limit)},
    shard_id_member("ExclusiveStartShardId", false),
    stream_name_member(),
    {.name = "NextToken", .min_length = 1, .max_length = 1048576},
    {.name = "StreamCreationTimestamp", .type = member_type::timestamp},
    {.name = "ShardFilter", .type = member_type::structure, .element = &filter_shape},
    stream_arn_member(),
}};

struct shard_filter {
  std::string type;  // empty: no filter
  std::string shard_id;
  std::int64_t timestamp_ms = 0;
};

// When a closed shard stopped taking records: its children were created at that moment.
std::int64_t closed_at(const engine::stream_snapshot& snap, const metadata::shard_record& shard) {
  std::int64_t at = INT64_MAX;
  for (const auto& s : snap.shards) {
    if (s.parent == shard.index || s.adjacent_parent == shard.index)
      at = std::min(at, s.created_ms);
  }
  return at == INT64_MAX ? shard.created_ms : at;
}

// `trim_horizon`: the arrival time before which retention has removed the stream's records.
bool passes(const shard_filter& f, const engine::stream_snapshot& snap,
            const metadata::shard_record& shard, std::int64_t trim_horizon) {
  const bool open = shard.is_open();
  auto open_at = [&](std::int64_t t) {
    return shard.created_ms <= t && (open || closed_at(snap, shard) >= t);
  };
  if (f.type.empty() || f.type == "FROM_TRIM_HORIZON") {
    return open || closed_at(snap, shard) >= trim_horizon;
  }
  if (f.type == "AFTER_SHARD_ID") return shard_after(shard.index, f.shard_id);
  if (f.type == "AT_TRIM_HORIZON") return open_at(trim_horizon);
  if (f.type == "AT_LATEST") return open;
  const std::int64_t t = std::max(f.timestamp_ms, snap.stream.created_ms);
  if (f.type == "AT_TIMESTAMP") return open_at(t);
  return open || closed_at(snap, shard) >= t;  // FROM_TIMESTAMP
}

void handle(action_context& ctx, value& req, responder respond) {
  const auto& key = ctx.engine.key();
  const bool has_name = req.find("StreamName") || req.find("StreamARN");
  const std::string* token = get_string(req, "NextToken");
  if (token && has_name) {
    return respond(from_violation(kinesis::next_token_with_stream()));
  }
  if (!token && !has_name) {
    return respond(from_violation(kinesis::next_token_or_stream_required()));
  }
  std::string name;
  std::string after;  // list shards whose id sorts after this
  shard_filter filter;
  std::optional<std::int64_t> created_ms;
  if (token) {
    if (req.find("ExclusiveStartShardId") || req.find("StreamCreationTimestamp") ||
        req.find("ShardFilter")) {
      return respond(invalid_argument(
          "Cannot define ExclusiveStartShardId, StreamCreationTimestamp, ShardFilter or "
          "StreamName if NextToken is defined."));
    }
    auto opened = open_page_token(ctx, "ListShards", *token, 6);
    if (auto* e = std::get_if<api_error>(&opened)) return respond(std::move(*e));
    auto& f = std::get<std::vector<std::string>>(opened);
    name = f[0];
    std::int64_t c = 0;
    std::from_chars(f[1].data(), f[1].data() + f[1].size(), c);
    created_ms = c;
    after = f[2];
    filter.type = f[3];
    filter.shard_id = f[4];
    std::from_chars(f[5].data(), f[5].data() + f[5].size(), filter.timestamp_ms);
  } else {
    api_error error;
    auto resolved = resolve_stream(ctx, req, error);
    if (!resolved) return respond(error);
    name = std::move(*resolved);
    if (const std::string* start = get_string(req, "ExclusiveStartShardId")) after = *start;
    if (const value* f = req.find("ShardFilter")) {
      filter.type = f->find("Type")->as_string();
      if (const value* id = f->find("ShardId")) filter.shard_id = id->as_string();
      if (const value* ts = f->find("Timestamp")) filter.timestamp_ms = ts->as_integer();
      if (filter.type == "AFTER_SHARD_ID" && !f->find("ShardId")) {
        return respond(from_violation(kinesis::after_shard_id_needs_shard()));
      }
      if ((filter.type == "AT_TIMESTAMP" || filter.type == "FROM_TIMESTAMP") &&
          !f->find("Timestamp")) {
        return respond(
            invalid_argument("Timestamp must be supplied in a ShardFilter with a Type "
                             "of FROM_TIMESTAMP or AT_TIMESTAMP"));
      }
    }
    if (const value* ts = req.find("StreamCreationTimestamp")) created_ms = ts->as_integer();
  }

  auto snap = ctx.engine.describe(name);
  if (!snap) return respond(from_failure(snap.error()));
  if (snap->stream.status == metadata::stream_status::creating) {
    return respond(from_violation(
        kinesis::stream_not_active(name, ctx.engine.options().account_id, "CREATING")));
  }
  if (created_ms && *created_ms / 1000 != snap->stream.created_ms / 1000) {
    return respond(resource_not_found(
        fmt::format("Stream {} under account {} with creation time {} not found.", name,
                    ctx.engine.options().account_id, *created_ms / 1000)));
  }
  const auto max = static_cast<std::size_t>(
      std::min(get_integer(req, "MaxResults").value_or(default_max_results), default_max_results));
  const std::int64_t trim_horizon =
      std::max(now_ms() - ctx.engine.retention_ms(snap->stream), snap->stream.created_ms);
  value shards = value::array();
  bool more = false;
  std::string last;
  for (const auto& shard : snap->shards) {
    const std::string id = kinesis::shard_id(shard.index);
    if (!after.empty() && !shard_after(shard.index, after)) continue;
    if (!passes(filter, *snap, shard, trim_horizon)) continue;
    if (shards.items().size() == max) {
      more = true;
      break;
    }
    last = id;
    shards.push(shard_description(*snap, shard));
  }
  value out = value::object();
  out.add("Shards", std::move(shards));
  if (more) {
    out.add("NextToken", value::string(make_page_token(
                             key, "ListShards",
                             {name, std::to_string(snap->stream.created_ms), last, filter.type,
                              filter.shard_id, std::to_string(filter.timestamp_ms)})));
  }
  respond(std::move(out));
}

}  // namespace
}  // namespace list_shards_action

const action list_shards{"ListShards", &list_shards_action::request, false,
                         &list_shards_action::handle};

}  // namespace spate::api::actions
