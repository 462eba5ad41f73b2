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

void write_page(const engine::records_page& page, encoder& out) {
  char sequence[engine::sequence_number_digits];
  out.begin_object();
  out.key("Records");
  out.begin_array();
  for (const auto& r : page.batch.records) {
    engine::format_sequence_number({page.tag, page.shard, r.pos}, sequence);
    out.begin_object();
    out.key("SequenceNumber");
    out.string({sequence, sizeof sequence});
    out.key("ApproximateArrivalTimestamp");
    out.timestamp(r.arrival_ms);
    out.key("Data");
    out.blob(r.data);
    out.key("PartitionKey");
    out.string(r.partition_key);
    out.end_object();
  }
  out.end_array();
  if (page.next_iterator) {
    out.key("NextShardIterator");
    out.string(*page.next_iterator);
  }
  out.key("MillisBehindLatest");
  out.integer(page.millis_behind);
  if (!page.next_iterator) {
    out.key("ChildShards");
    out.begin_array();
    for (const auto& child : page.children) {
      out.begin_object();
      out.key("ShardId");
      out.string(metadata::shard_id(child.index));
      out.key("ParentShards");
      out.begin_array();
      if (child.parent) out.string(metadata::shard_id(*child.parent));
      if (child.adjacent_parent) out.string(metadata::shard_id(*child.adjacent_parent));
      out.end_array();
      out.key("HashKeyRange");
      out.begin_object();
      out.key("StartingHashKey");
      out.string(to_decimal(child.range.start));
      out.key("EndingHashKey");
      out.string(to_decimal(child.range.end));
      out.end_object();
      out.end_object();
    }
    out.end_array();
  }
  out.end_object();
}

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

  ctx.traffic.records_out(page->stream_name, page->batch.records.size(), page->batch.bytes);
  auto shared = std::make_shared<engine::records_page>(std::move(*page));
  // JSON: base64 data (4/3) plus about 170 bytes of names, numbers and keys per record.
  const std::size_t hint = shared->batch.bytes * 4 / 3 + shared->batch.records.size() * 170 + 1024;
  respond(body_writer{[page = std::move(shared)](encoder& out) { write_page(*page, out); }, hint});
}

}  // namespace

const action get_records{"GetRecords", &request, false, &handle};

}  // namespace spate::api::actions
