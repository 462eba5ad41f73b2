// GetRecords: up to Limit (10,000) records / 10 MiB from an iterator's position, the next
// iterator, MillisBehindLatest, and ChildShards at the end of a closed shard.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace {

constexpr std::int64_t default_limit = 10000;

const shape request{{
    {.name = "Limit", .type = member_type::integer, .min_value = 1, .max_value = 10000},
    {.name = "ShardIterator", .required = true, .min_length = 1, .max_length = 512},
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  const auto limit = static_cast<std::size_t>(get_integer(req, "Limit").value_or(default_limit));
  auto page = ctx.engine.get_records(*get_string(req, "ShardIterator"), limit);
  if (!page) return respond(from_failure(page.error()));
  if (const std::string* arn = get_string(req, "StreamARN")) {
    auto named = ctx.engine.stream_name_from_arn(*arn);
    if (!named) return respond(from_failure(named.error()));
    if (*named != page->stream_name) {
      return respond(invalid_argument("StreamARN " + *arn +
                                      " does not name the stream of the ShardIterator."));
    }
  }

  value records = value::array();
  records.items().reserve(page->batch.records.size());
  for (const auto& r : page->batch.records) {
    records.push(value::object()
                     .add("SequenceNumber", value::string(engine::format_sequence_number(
                                                {page->tag, page->shard, r.pos})))
                     .add("ApproximateArrivalTimestamp", epoch_seconds(r.arrival_ms))
                     .add("Data", value::blob(std::string(r.data)))
                     .add("PartitionKey", value::string(std::string(r.partition_key))));
  }
  value out = value::object();
  out.add("Records", std::move(records));
  if (page->next_iterator) out.add("NextShardIterator", value::string(*page->next_iterator));
  out.add("MillisBehindLatest", value::integer(page->millis_behind));
  if (!page->next_iterator) {
    value children = value::array();
    for (const auto& child : page->children) {
      value parents = value::array();
      if (child.parent) parents.push(value::string(metadata::shard_id(*child.parent)));
      if (child.adjacent_parent) {
        parents.push(value::string(metadata::shard_id(*child.adjacent_parent)));
      }
      children.push(value::object()
                        .add("ShardId", value::string(metadata::shard_id(child.index)))
                        .add("ParentShards", std::move(parents))
                        .add("HashKeyRange",
                             value::object()
                                 .add("StartingHashKey", value::string(to_decimal(child.range.start)))
                                 .add("EndingHashKey", value::string(to_decimal(child.range.end)))));
    }
    out.add("ChildShards", std::move(children));
  }
  ctx.traffic.records_out(page->stream_name, page->batch.records.size(), page->batch.bytes);
  respond(std::move(out));
}

}  // namespace

const action get_records{"GetRecords", &request, false, &handle};

}  // namespace spate::api::actions
