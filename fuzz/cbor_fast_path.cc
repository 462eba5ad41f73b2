// cbor_fast_path: the PutRecords CBOR fast path's parser (parse_put_records_cbor), checked
// against the generic path it stands in for. The input is a request body.
// Property: whatever the fast path accepts, the generic path (decode_cbor, then normalize and
// validate with PutRecords's shape) accepts too and reads as the same request: the same
// stream name and ARN, and the same records with the same keys and data, in order.
// (The converse need not hold: the fast path declines anything unusual.)
#include "api/cbor_fast_path.h"

#include "api/actions/actions.h"
#include "api/cbor_codec.h"
#include "api/schema.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace spate::api;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "cbor_fast_path: the fast path and the generic path disagree: %s\n", what);
  std::abort();
}

std::optional<std::string_view> member_text(const value& object, std::string_view name) {
  const value* v = object.find(name);
  if (!v) return std::nullopt;
  return std::string_view(v->as_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  parsed_put_records fast;
  if (!parse_put_records_cbor(body, fast)) return 0;

  auto generic = decode_cbor(body);
  if (!generic || !generic->is_object()) fail("decode_cbor refuses the body");
  if (auto e = normalize(*generic, *actions::put_records.request, number_time::epoch_millis)) {
    fail(e->message.c_str());
  }
  if (auto e = validate(*generic, *actions::put_records.request)) fail(e->message.c_str());

  if (fast.stream_name != member_text(*generic, "StreamName")) fail("StreamName");
  if (fast.stream_arn != member_text(*generic, "StreamARN")) fail("StreamARN");
  const auto& entries = generic->find("Records")->items();
  if (entries.size() != fast.records.size()) fail("the number of records");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& r = fast.records[i];
    if (r.partition_key != member_text(entries[i], "PartitionKey")) fail("a PartitionKey");
    if (r.explicit_hash_key != member_text(entries[i], "ExplicitHashKey")) {
      fail("an ExplicitHashKey");
    }
    const value* data = entries[i].find("Data");
    if (!data || r.data != std::string_view(data->as_string())) fail("a record's Data");
  }
  return 0;
}
