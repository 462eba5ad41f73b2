// websocket_feed: query parsing (pure, so fuzz/websocket_query.cc can drive it) and the JSON
// batches of WebSocket subscriptions.
#include "api/websocket_feed.h"

#include "api/actions/common.h"
#include "api/json_codec.h"
#include "api/json_records.h"
#include "api/shared_batches.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace spate::api {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return out;
}

struct subscribe_query {
  std::optional<std::string> stream, shard, from;
};

std::variant<subscribe_query, api_error> parse_query(std::string_view target) {
  subscribe_query q;
  const auto mark = target.find('?');
  std::string_view rest = mark == std::string_view::npos ? "" : target.substr(mark + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto name = pair.substr(0, eq);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!value)
      return invalid_argument(
          fmt::format("Query parameter {} is not valid "
                      "percent-encoding.",
                      name));
    if (name == "stream") {
      q.stream = std::move(*value);
    } else if (name == "shard") {
      q.shard = std::move(*value);
    } else if (name == "from") {
      q.from = std::move(*value);
    } else {
      return invalid_argument(
          fmt::format("Unknown query parameter {}: expected stream, shard and from.", name));
    }
  }
  if (!q.stream || q.stream->empty()) {
    return invalid_argument("Query parameter stream is required: /v1/subscribe?stream=NAME.");
  }
  return q;
}

// from=TRIM_HORIZON | LATEST | AT_TIMESTAMP:<ms> | AT_/AFTER_SEQUENCE_NUMBER:<n>
std::variant<engine::start_request, api_error> parse_from(const std::optional<std::string>& from,
                                                          bool one_shard) {
  engine::start_request start;
  start.type = engine::iterator_type::latest;
  if (!from || *from == "LATEST") return start;
  if (*from == "TRIM_HORIZON") {
    start.type = engine::iterator_type::trim_horizon;
    return start;
  }
  const auto colon = from->find(':');
  const std::string_view kind = std::string_view(*from).substr(0, colon);
  const std::string_view arg =
      colon == std::string::npos ? "" : std::string_view(*from).substr(colon + 1);
  if (kind == "AT_TIMESTAMP") {
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), ms);
    if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size()) {
      return invalid_argument("from=AT_TIMESTAMP:<epoch milliseconds> expected.");
    }
    start.type = engine::iterator_type::at_timestamp;
    start.timestamp_ms = ms;
    return start;
  }
  if (kind == "AT_SEQUENCE_NUMBER" || kind == "AFTER_SEQUENCE_NUMBER") {
    if (!one_shard) {
      return invalid_argument(
          fmt::format("from={} needs a shard: a sequence number is a "
                      "position in one shard.",
                      kind));
    }
    if (arg.empty())
      return invalid_argument(fmt::format("from={}:<sequence number> expected.", kind));
    start.type = kind == "AT_SEQUENCE_NUMBER" ? engine::iterator_type::at_sequence_number
                                              : engine::iterator_type::after_sequence_number;
    start.sequence_number = std::string(arg);
    return start;
  }
  return invalid_argument(fmt::format(
      "from={} is not one of TRIM_HORIZON, LATEST, AT_TIMESTAMP:<ms>, AT_SEQUENCE_NUMBER:<n>, "
      "AFTER_SEQUENCE_NUMBER:<n>.",
      *from));
}

// A message up to the end of its records: {"shardId":"...","records":[...]
void write_records(const engine::records_page& page, std::string& out) {
  json_encoder json(out);
  json.begin_object();
  json.key("shardId");
  json.string(kinesis::shard_id(page.shard));
  json.key("records");
  append_feed_records_json(page, json.value_buffer());
}

// The end of a message, after its records: what is this subscriber's own (how far behind it
// is, and the end of the shard). Numbers and shard ids need no escaping.
void write_trailer(std::int64_t millis_behind, const engine::records_page* end_of_shard,
                   std::string& out) {
  char number[24];
  const auto end = std::to_chars(number, number + sizeof number, millis_behind).ptr;
  out += ",\"millisBehindLatest\":";
  out.append(number, end);
  if (end_of_shard) {
    out += ",\"endOfShard\":true,\"childShards\":[";
    for (std::size_t i = 0; i < end_of_shard->children.size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += kinesis::shard_id(end_of_shard->children[i].index);
      out += '"';
    }
    out += ']';
  }
  out += '}';
}

constexpr auto shared_format = shared_batches::format::websocket_message;

}  // namespace

std::variant<engine::reader_options, api_error> parse_subscribe_target(std::string_view target) {
  auto query = parse_query(target);
  if (auto* e = std::get_if<api_error>(&query)) return std::move(*e);
  auto& q = std::get<subscribe_query>(query);
  engine::reader_options options;
  options.stream = *q.stream;
  if (q.shard) {
    auto index = kinesis::parse_shard_id(*q.shard);
    if (!index) {
      return invalid_argument(
          fmt::format("shard={} is not a shard id (shardId-NNNNNNNNNNNN).", *q.shard));
    }
    options.shard = *index;
  }
  auto start = parse_from(q.from, options.shard.has_value());
  if (auto* e = std::get_if<api_error>(&start)) return std::move(*e);
  options.start = std::get<engine::start_request>(start);
  return options;
}

std::variant<std::shared_ptr<websocket_feed>, api_error> websocket_feed::open(
    action_context& ctx, std::string_view target) {
  auto parsed = parse_subscribe_target(target);
  if (auto* e = std::get_if<api_error>(&parsed)) return std::move(*e);
  auto& options = std::get<engine::reader_options>(parsed);
  options.max_bytes = ctx.push.max_message_bytes;
  std::shared_ptr<websocket_feed> feed(new websocket_feed(ctx));
  auto reader = engine::stream_reader::open(ctx.engine, options, &feed->waker_);
  if (!reader) return from_failure(reader.error());
  feed->reader_ = std::move(*reader);
  feed->waker_.reserve(feed->reader_->shard_count());
  feed->taken_wakes_.reserve(feed->reader_->shard_count());
  if (ctx.readers) {
    feed->listed_ = ctx.readers->add(
        {.type = reader_registry::kind::websocket,
         .stream = options.stream,
         .shard = options.shard ? std::optional(kinesis::shard_id(*options.shard)) : std::nullopt,
         .since_ms = ctx.engine.time().wall_ms()});
  }
  return feed;
}

bool websocket_feed::pull_shared(const engine::stream_reader::read_start& at, pushed_message& out) {
  auto page = ctx_.batches->take(*reader_, at, shared_format);
  if (!page) return false;
  waker_.answered(taken_wakes_, push_waker::page::of(at, *page, out), *reader_);
  const std::int64_t behind = page->behind_at(ctx_.engine.time().wall_ms());
  listed_.behind(behind);
  ctx_.traffic.records_out(reader_->stream(), page->record_count, page->record_bytes);
  const std::string* records = &page->encoded;
  out.shared = std::shared_ptr<const std::string>(std::move(page), records);
  write_trailer(behind, nullptr, out.tail);
  return true;
}

push_source::status websocket_feed::pull(pushed_message& out) {
  if (done_) return status::finished;
  // This pull sees every change up to the wake-ups, whose records have waited since then.
  waker_.take_wakes(taken_wakes_);
  std::optional<engine::stream_reader::read_start> at;
  if (ctx_.batches) {
    at = reader_->next_read();
    if (at && pull_shared(*at, out)) return status::message;
  }
  auto page = reader_->read();
  if (!page) {
    done_ = true;
    const bool gone = page.error().kind == engine::failure_kind::resource_not_found;
    close_code_ = gone ? 1000 : 1011;
    close_reason_ = gone ? "stream " + reader_->stream() + " was deleted" : "read failed";
    return status::finished;
  }
  listed_.behind(*page ? (*page)->millis_behind : 0);
  if (!*page) return status::idle;
  const auto& p = **page;
  ctx_.traffic.records_out(reader_->stream(), p.batch.records.size(), p.batch.bytes);
  waker_.answered(taken_wakes_, push_waker::page::of(p, out), *reader_);
  // Kept for the other subscribers that stand where this one stood, if the page is what they
  // would read (shared_batches::sharable).
  if (at && shared_batches::sharable(p, *at)) {
    auto shared = shared_batches::describe(p, ctx_.engine.time().wall_ms());
    write_records(p, shared->encoded);
    const std::string* records = &shared->encoded;
    ctx_.batches->keep(*reader_, *at, shared_format, shared);
    out.shared = std::shared_ptr<const std::string>(std::move(shared), records);
  } else {
    write_records(p, out.head);
  }
  write_trailer(p.millis_behind, p.end_of_shard ? &p : nullptr, out.tail);
  if (reader_->finished()) {
    done_ = true;
    close_reason_ = "end of shard " + kinesis::shard_id(p.shard);
  }
  return status::message;
}

}  // namespace spate::api
