// Helpers shared by the action handlers.
#include "api/actions/common.h"

#include "common/clock.h"
#include "kinesis/errors.h"
#include "kinesis/rules.h"

#include <fmt/format.h>

namespace spate::api::actions {

const std::string* get_string(const value& request, std::string_view name) {
  const value* v = request.find(name);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<std::int64_t> get_integer(const value& request, std::string_view name) {
  const value* v = request.find(name);
  if (!v || v->type() != value::kind::integer) return std::nullopt;
  return v->as_integer();
}

std::optional<std::string> resolve_stream(action_context& ctx, const value& request,
                                          api_error& error) {
  return resolve_stream_names(ctx, get_string(request, "StreamName"),
                              get_string(request, "StreamARN"), error);
}

std::optional<std::string> resolve_stream_names(action_context& ctx, const std::string* name,
                                                const std::string* arn, api_error& error) {
  if (!name && !arn) {
    error = from_violation(kinesis::stream_name_or_arn_required());
    return std::nullopt;
  }
  if (!arn) return *name;
  auto from_arn = ctx.engine.stream_name_from_arn(*arn);
  if (!from_arn) {
    error = from_failure(from_arn.error());
    return std::nullopt;
  }
  if (name && *name != *from_arn) {
    error = from_violation(kinesis::arn_and_name_differ(*arn, *name));
    return std::nullopt;
  }
  return std::move(*from_arn);
}

std::variant<engine::start_request, api_error> requested_start(
    const std::string& type, const std::string* sequence, std::optional<std::int64_t> timestamp) {
  const bool wants_sequence = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (wants_sequence != (sequence != nullptr) && type != "AT_TIMESTAMP") {
    return invalid_argument(fmt::format(
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified {} and {}.",
        type, sequence ? "also a StartingSequenceNumber" : "no StartingSequenceNumber"));
  }
  engine::start_request start;
  if (type == "TRIM_HORIZON") {
    start.type = engine::iterator_type::trim_horizon;
  } else if (type == "LATEST") {
    start.type = engine::iterator_type::latest;
  } else if (wants_sequence) {
    start.type = type == "AT_SEQUENCE_NUMBER" ? engine::iterator_type::at_sequence_number
                                              : engine::iterator_type::after_sequence_number;
    start.sequence_number = *sequence;
  } else {
    start.type = engine::iterator_type::at_timestamp;
    if (!timestamp) {
      return invalid_argument(
          "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
          "request has no timestamp parameter.");
    }
    const std::int64_t now = now_ms();
    if (*timestamp > now) {
      return invalid_argument(fmt::format(
          "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
          "timestampInMillis: {}, currentTimestampInMillis: {}",
          *timestamp, now));
    }
    start.timestamp_ms = *timestamp;
  }
  return start;
}

std::optional<engine::stream_snapshot> describe_requested(action_context& ctx, const value& request,
                                                          const responder& respond) {
  api_error error;
  auto name = resolve_stream(ctx, request, error);
  if (!name) {
    respond(error);
    return std::nullopt;
  }
  auto snap = ctx.engine.describe(*name);
  if (!snap) {
    respond(from_failure(snap.error()));
    return std::nullopt;
  }
  return std::move(*snap);
}

bool shard_after(metadata::shard_index shard, std::string_view exclusive_start) {
  if (const auto start = kinesis::lenient_shard_index(exclusive_start)) return shard > *start;
  return kinesis::shard_id(shard) > exclusive_start;
}

api_error shard_not_parsed(action_context& ctx, std::string_view shard, std::string_view stream) {
  return from_violation(kinesis::shard_not_parsed(shard, stream, ctx.engine.options().account_id));
}

std::optional<api_error> read_record(const value& entry, storage::record_input& out) {
  const value* key = entry.find("ExplicitHashKey");
  return check_record(entry.find("PartitionKey")->as_string(),
                      key ? std::optional<std::string_view>(key->as_string()) : std::nullopt,
                      entry.find("Data")->as_string(), out);
}

std::optional<api_error> check_record(std::string_view partition_key,
                                      std::optional<std::string_view> explicit_hash_key,
                                      std::string_view data, storage::record_input& out) {
  out.partition_key = partition_key;
  out.data = data;
  out.explicit_hash_key.reset();
  if (explicit_hash_key) {
    out.explicit_hash_key = parse_uint128(*explicit_hash_key);
    if (!out.explicit_hash_key)
      return from_violation(kinesis::bad_explicit_hash_key(*explicit_hash_key));
  }
  if (out.data.size() + out.partition_key.size() > kinesis::max_record_bytes) {
    return from_violation(kinesis::record_too_large(out.data.size() + out.partition_key.size()));
  }
  return std::nullopt;
}

std::optional<api_error> require_provisioned(action_context& ctx, const std::string& stream) {
  auto snap = ctx.engine.describe(stream);
  if (!snap) return from_failure(snap.error());
  if (snap->stream.mode == metadata::stream_mode::on_demand) {
    return from_violation(kinesis::provisioned_only());
  }
  return std::nullopt;
}

value shard_description(const engine::stream_snapshot& snap, const metadata::shard_record& shard) {
  value out = value::object();
  out.add("ShardId", value::string(kinesis::shard_id(shard.index)));
  if (shard.parent) out.add("ParentShardId", value::string(kinesis::shard_id(*shard.parent)));
  if (shard.adjacent_parent) {
    out.add("AdjacentParentShardId", value::string(kinesis::shard_id(*shard.adjacent_parent)));
  }
  out.add("HashKeyRange", value::object()
                              .add("StartingHashKey", value::string(to_decimal(shard.range.start)))
                              .add("EndingHashKey", value::string(to_decimal(shard.range.end))));
  value range = value::object();
  range.add("StartingSequenceNumber",
            value::string(engine::shard_start_sequence_number(snap.tag, shard.index)));
  if (shard.ending_position) {
    // The last record's number; a shard closed before any record ends where it starts.
    const bool empty = *shard.ending_position <= shard.starting_position;
    range.add("EndingSequenceNumber",
              value::string(empty ? engine::shard_start_sequence_number(snap.tag, shard.index)
                                  : snap.sequence_number(shard.index, *shard.ending_position - 1)));
  }
  out.add("SequenceNumberRange", std::move(range));
  return out;
}

value stream_mode_details(metadata::stream_mode mode) {
  return value::object().add("StreamMode", value::string(std::string(to_string(mode))));
}

value enhanced_monitoring(const std::vector<std::string>& shard_level_metrics) {
  value metrics = value::array();
  for (const auto& m : shard_level_metrics) metrics.push(value::string(m));
  return value::array().push(value::object().add("ShardLevelMetrics", std::move(metrics)));
}

value warm_throughput(const metadata::stream_record& stream) {
  return value::object()
      .add("TargetMiBps", value::integer(stream.warm_target_mibs))
      .add("CurrentMiBps", value::integer(stream.warm_current_mibs));
}

value tag_list(const std::map<std::string, std::string>& tags) {
  value list = value::array();
  for (const auto& [k, v] : tags) {
    list.push(value::object().add("Key", value::string(k)).add("Value", value::string(v)));
  }
  return list;
}

std::optional<api_error> check_tag_characters(const std::vector<std::string_view>& texts) {
  if (auto refused = kinesis::check_tag_characters(texts)) return from_violation(*refused);
  return std::nullopt;
}

}  // namespace spate::api::actions
