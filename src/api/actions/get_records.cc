// GetRecords: up to Limit (10,000) records / 10 MiB from an iterator's position, the next
// iterator, MillisBehindLatest, and ChildShards at the end of a closed shard.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/record_encoding.h"

namespace spate::api::actions {
namespace {

constexpr std::int64_t default_limit = 10000;

const shape request{{
    {.name = "Limit", .type = member_type::integer, .min_value = 1, .max_value = 10000},
    {.name = "ShardIterator", .required = true, .min_length = 1, .max_length = 512},
    stream_arn_member(),
}};

void write_page(const engine::records_page& page, encoder& out) {
  out.begin_object();
  write_records(out, page);
  if (page.next_iterator) {
    out.key("NextShardIterator");
    out.string(*page.next_iterator);
  }
  out.key("MillisBehindLatest");
  out.integer(page.millis_behind);
  if (!page.next_iterator) write_child_shards(out, page.children);
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
  const std::size_t hint = encoded_size_hint(*shared);
  respond(body_writer{[page = std::move(shared)](encoder& out) { write_page(*page, out); }, hint});
}

}  // namespace

const action get_records{"GetRecords", &request, false, &handle};

}  // namespace spate::api::actions
