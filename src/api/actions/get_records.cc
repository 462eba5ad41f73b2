// GetRecords: up to Limit (10,000) records / 10 MiB from an iterator's position, the next
// iterator, MillisBehindLatest, and ChildShards at the end of a closed shard.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/record_encoding.h"

namespace spate::api::actions {
namespace get_records_action {
namespace {

constexpr auto default_limit = static_cast<std::int64_t>(kinesis::get_records_max_records);

// Memory an answer of `data` record bytes takes while it is built: the records as read, and
// their encoding (base64 in JSON, four bytes for three), plus the members around them.
constexpr std::size_t answer_bytes(std::size_t data) {
  return data + data / 3 * 4 + (64u << 10);
}
// Below this much record data a read is not worth making: the answer is 503 instead.
constexpr std::size_t min_read_bytes = 256u << 10;

// Reserves the response budget for a read before any record is read: the whole 10 MiB when
// the budget has room, else as much as it has; `max_bytes` becomes what the grant covers.
// Null (nothing to hold) without a budget; nullopt when the budget is too short to read.
std::optional<std::shared_ptr<memory_budget::reservation>> reserve_answer(action_context& ctx,
                                                                          std::size_t& max_bytes) {
  if (!ctx.responses) return std::shared_ptr<memory_budget::reservation>();
  if (auto whole = ctx.responses->try_reserve(answer_bytes(max_bytes))) {
    return std::make_shared<memory_budget::reservation>(std::move(*whole));
  }
  const std::size_t room = ctx.responses->available();
  if (room < answer_bytes(min_read_bytes)) return std::nullopt;
  auto part = ctx.responses->try_reserve(room);
  if (!part) return std::nullopt;            // others took it meanwhile
  max_bytes = (room - (64u << 10)) / 7 * 3;  // inverts answer_bytes()
  return std::make_shared<memory_budget::reservation>(std::move(*part));
}

const shape request{{
    {.name = "Limit", .type = member_type::integer, .min_value = 1, .max_value = default_limit},
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
  std::size_t max_bytes = kinesis::get_records_max_bytes;
  auto reserved = reserve_answer(ctx, max_bytes);
  if (!reserved) {
    return respond(service_unavailable(
        "The server is holding too many answers for readers that have not taken them yet; "
        "retry later."));
  }
  auto page = ctx.engine.get_records(*get_string(req, "ShardIterator"), limit, max_bytes);
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
  respond(body_writer{[page = std::move(shared)](encoder& out) { write_page(*page, out); }, hint,
                      std::move(*reserved)});
}

}  // namespace
}  // namespace get_records_action

const action get_records{"GetRecords", &get_records_action::request, false,
                         &get_records_action::handle};

}  // namespace spate::api::actions
