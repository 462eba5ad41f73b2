// fast_path_agreement: the property both PutRecords fast-path targets (json_fast_path.cc,
// cbor_fast_path.cc) check. Whatever a fast path accepts, the generic path (the codec's
// decoder, then normalize and validate with PutRecords's shape) accepts too and reads as the
// same request: the same stream name and ARN, and the same records with the same keys and
// data, in order. (The converse need not hold: a fast path declines anything unusual.)
#pragma once

#include "api/actions/actions.h"
#include "api/put_records_entries.h"
#include "api/schema.h"
#include "api/value.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace spate::fuzz {

// Aborts, naming `target`, unless `generic` (the body as the generic decoder read it, nullopt
// if it refused it) normalizes and validates and reads as the same request as `fast`.
inline void check_agreement(const char* target, const api::parsed_put_records& fast,
                            std::optional<api::value> generic, api::number_time numbers) {
  auto fail = [target](const char* what) {
    std::fprintf(stderr, "%s: the fast path and the generic path disagree: %s\n", target, what);
    std::abort();
  };
  auto member_text = [](const api::value& object,
                        std::string_view name) -> std::optional<std::string_view> {
    const api::value* v = object.find(name);
    if (!v) return std::nullopt;
    return std::string_view(v->as_string());  // a string's text or a blob's bytes
  };
  if (!generic || !generic->is_object()) fail("the generic decoder refuses the body");
  const auto& shape = *api::actions::put_records.request;
  if (auto e = api::normalize(*generic, shape, numbers)) fail(e->message.c_str());
  if (auto e = api::validate(*generic, shape)) fail(e->message.c_str());

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
    if (r.data != member_text(entries[i], "Data")) fail("a record's Data");
  }
}

}  // namespace spate::fuzz
