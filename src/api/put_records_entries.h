// put_records_entries: what the two PutRecords fast paths (json_fast_path, cbor_fast_path)
// share: the checks of the request's members, exactly the schema's constraints of
// actions/put_records.cc, and the layout of the records in a parsed_put_records. Internal to
// the api layer.
#pragma once

#include "api/action.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spate::api {

// A PutRecords body a fast path accepted: every member passed the schema's constraints and
// every Data is decoded. The record fields are views into `bytes`, which this object owns, so
// it can be neither copied nor moved; refill it with another parse instead.
struct parsed_put_records {
  struct record {
    std::string_view partition_key;
    std::optional<std::string_view> explicit_hash_key;
    std::string_view data;  // decoded
  };
  std::optional<std::string> stream_name;
  std::optional<std::string> stream_arn;
  std::vector<record> records;  // in request order
  std::string bytes;            // the decoded data and the keys the records view

  parsed_put_records() = default;
  parsed_put_records(const parsed_put_records&) = delete;
  parsed_put_records& operator=(const parsed_put_records&) = delete;
};

namespace put_records_entries {

// One Records entry as read off the wire: `data` still base64 in JSON, raw bytes in CBOR.
struct entry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<std::string_view> explicit_hash_key;
};

// The member checks; text given here is valid UTF-8 (each path makes sure first).
bool valid_partition_key(std::string_view key);
bool valid_explicit_hash_key(std::string_view key);
bool valid_stream_name(std::string_view name);
bool valid_stream_arn(std::string_view arn);

// Lays `entries` out in `out` (the data of every record, then the keys, in one buffer the
// records view), decoding base64 data when `data_is_base64`; false when a Data is not valid
// base64 or decodes to more than a record may hold, or the count is outside 1..500.
// out.stream_name and out.stream_arn are left as they are.
bool assemble(std::span<const entry> entries, bool data_is_base64, parsed_put_records& out);

// Checks each record as the generic path does (actions::check_record) and puts them; answers
// through `respond` in every case.
void put(const parsed_put_records& parsed, action_context& ctx, const responder& respond);

}  // namespace put_records_entries
}  // namespace spate::api
