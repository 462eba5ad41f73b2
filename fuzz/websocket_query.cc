// websocket_query: the query of a WebSocket subscription (GET /v1/subscribe?stream=...&shard=
// ...&from=...), parsed by api::parse_subscribe_target as websocket_feed::open does before it
// opens a reader. The input is the request target.
// Properties: nothing crashes or trips a sanitizer; an accepted query names a stream, and a
// sequence-number start only with a shard; and the query written back from what was parsed
// (every value percent-encoded) parses to the same stream, shard and start.
#include "api/websocket_feed.h"
#include "metadata/catalog.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace spate;
using engine::iterator_type;

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

std::string from_value(const engine::start_request& start) {
  switch (start.type) {
    case iterator_type::trim_horizon:
      return "TRIM_HORIZON";
    case iterator_type::latest:
      return "LATEST";
    case iterator_type::at_timestamp:
      return "AT_TIMESTAMP:" + std::to_string(start.timestamp_ms);
    case iterator_type::at_sequence_number:
      return "AT_SEQUENCE_NUMBER:" + start.sequence_number;
    case iterator_type::after_sequence_number:
      return "AFTER_SEQUENCE_NUMBER:" + start.sequence_number;
  }
  return "";
}

[[noreturn]] void fail(const char* what, const std::string& target) {
  std::fprintf(stderr, "websocket_query: %s (target written back: %s)\n", what, target.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  auto parsed = api::parse_subscribe_target(target);
  const auto* options = std::get_if<engine::reader_options>(&parsed);
  if (!options) return 0;

  if (options->stream.empty()) fail("a query without a stream was accepted", std::string(target));
  const bool by_sequence = options->start.type == iterator_type::at_sequence_number ||
                           options->start.type == iterator_type::after_sequence_number;
  if (by_sequence && !options->shard)
    fail("a sequence number without a shard", std::string(target));

  std::string again = "/v1/subscribe?stream=" + percent_encode(options->stream);
  if (options->shard) again += "&shard=" + percent_encode(kinesis::shard_id(*options->shard));
  again += "&from=" + percent_encode(from_value(options->start));
  auto reparsed = api::parse_subscribe_target(again);
  const auto* same = std::get_if<engine::reader_options>(&reparsed);
  if (!same) fail("the query written back is refused", again);
  if (same->stream != options->stream || same->shard != options->shard ||
      same->start.type != options->start.type ||
      same->start.sequence_number != options->start.sequence_number ||
      same->start.timestamp_ms != options->start.timestamp_ms) {
    fail("the query written back reads differently", again);
  }
  return 0;
}
