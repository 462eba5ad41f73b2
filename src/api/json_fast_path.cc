// json_fast_path: PutRecords over simdjson's DOM, checking exactly the schema's constraints
// (put_records_entries.h); parsing is apart from the engine call so that it can be fuzzed
// (fuzz/json_fast_path.cc).
#include "api/json_fast_path.h"

#include "api/json_codec.h"
#include "api/put_records_entries.h"

#include <simdjson.h>

#include <vector>

namespace spate::api {
namespace {

namespace entries = put_records_entries;

bool get_string(simdjson::dom::element e, std::string_view& out) {
  return e.get(out) == simdjson::SUCCESS;
}

// One Records entry. A member given twice is declined, here as in the request: the generic
// path reads the first of duplicates (value::find), so taking the last would put other
// records than it does.
bool read_entry(simdjson::dom::element e, entries::entry& out) {
  simdjson::dom::object object;
  if (e.get(object) != simdjson::SUCCESS) return false;
  bool has_key = false, has_data = false, has_hash_key = false;
  for (auto field : object) {
    if (field.key == "PartitionKey") {
      if (has_key || !get_string(field.value, out.partition_key) ||
          !entries::valid_partition_key(out.partition_key)) {
        return false;
      }
      has_key = true;
    } else if (field.key == "Data") {
      if (has_data || !get_string(field.value, out.data)) return false;
      has_data = true;
    } else if (field.key == "ExplicitHashKey") {
      std::string_view key;
      if (has_hash_key || !get_string(field.value, key) || !entries::valid_explicit_hash_key(key)) {
        return false;
      }
      out.explicit_hash_key = key;
      has_hash_key = true;
    } else {
      return false;
    }
  }
  return has_key && has_data;
}

bool parse_with(simdjson::dom::parser& parser, std::string_view body, parsed_put_records& out) {
  out.stream_name.reset();
  out.stream_arn.reset();

  simdjson::padded_string padded(body);
  simdjson::dom::object root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return false;

  simdjson::dom::array list;
  bool has_records = false;
  for (auto field : root) {
    std::string_view text;
    if (field.key == "Records") {
      if (has_records || field.value.get(list) != simdjson::SUCCESS) return false;
      has_records = true;
    } else if (field.key == "StreamName") {
      if (out.stream_name || !get_string(field.value, text) || !entries::valid_stream_name(text)) {
        return false;
      }
      out.stream_name.emplace(text);
    } else if (field.key == "StreamARN") {
      if (out.stream_arn || !get_string(field.value, text) || !entries::valid_stream_arn(text)) {
        return false;
      }
      out.stream_arn.emplace(text);
    } else {
      return false;
    }
  }
  if (!has_records || list.size() < 1 || list.size() > kinesis::put_records_max_entries) {
    return false;
  }
  std::vector<entries::entry> read(list.size());
  std::size_t i = 0;
  for (auto e : list) {
    if (!read_entry(e, read[i++])) return false;
  }
  return entries::assemble(read, true, out);
}

}  // namespace

bool parse_put_records_json(std::string_view body, parsed_put_records& out) {
  // (The caller bounds the document's elements first: json_codec.h, max_json_elements.)
  thread_local simdjson::dom::parser parser;
  const bool parsed = parse_with(parser, body, out);  // copies all it keeps out of the parser
  release_large_parser(parser);
  return parsed;
}

bool try_put_records_json(std::string_view body, action_context& ctx, const responder& respond) {
  parsed_put_records parsed;
  if (!parse_put_records_json(body, parsed)) return false;
  entries::put(parsed, ctx, respond);
  return true;
}

}  // namespace spate::api
