// json_fast_path: PutRecords over simdjson's DOM, checking exactly the schema's constraints
// (through the same named limits put_records.cc's shape uses); parsing is apart from the
// engine call so that it can be fuzzed (fuzz/json_fast_path.cc).
#include "api/json_fast_path.h"

#include "api/actions/common.h"
#include "api/actions/put_records.h"
#include "api/json_codec.h"
#include "api/schema.h"
#include "common/base64.h"

#include <simdjson.h>

#include <optional>

namespace spate::api {
namespace {

struct entry_fields {
  std::string_view partition_key;
  std::string_view data_base64;
  std::optional<std::string_view> explicit_hash_key;
};

bool get_string(simdjson::dom::element e, std::string_view& out) {
  return e.get(out) == simdjson::SUCCESS;
}

// One Records entry, with the constraints of put_records.cc's entry shape. A member given
// twice is declined, here as in the request: the generic path reads the first of duplicates
// (value::find), so taking the last would put other records than it does.
bool read_entry(simdjson::dom::element e, entry_fields& out) {
  simdjson::dom::object object;
  if (e.get(object) != simdjson::SUCCESS) return false;
  bool has_key = false, has_data = false, has_hash_key = false;
  for (auto field : object) {
    if (field.key == "PartitionKey") {
      if (has_key || !get_string(field.value, out.partition_key)) return false;
      const std::size_t chars = utf8_length(out.partition_key);
      if (chars < 1 || chars > kinesis::max_partition_key_length) return false;
      has_key = true;
    } else if (field.key == "Data") {
      if (has_data || !get_string(field.value, out.data_base64)) return false;
      has_data = true;
    } else if (field.key == "ExplicitHashKey") {
      std::string_view key;
      if (has_hash_key || !get_string(field.value, key) ||
          !matches_pattern(pattern::hash_key, key)) {
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

std::size_t decoded_size(std::string_view b64) {
  if (b64.size() % 4 != 0) return 0;
  std::size_t n = b64.size() / 4 * 3;
  if (!b64.empty() && b64.back() == '=') n -= b64[b64.size() - 2] == '=' ? 2 : 1;
  return n;
}

}  // namespace

namespace {

bool parse_with(simdjson::dom::parser& parser, std::string_view body, parsed_put_records& out) {
  out.stream_name.reset();
  out.stream_arn.reset();
  out.records.clear();
  out.bytes.clear();

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
      if (out.stream_name || !get_string(field.value, text) ||
          static_cast<std::int64_t>(text.size()) > max_stream_name_chars ||
          !matches_pattern(pattern::name, text)) {
        return false;
      }
      out.stream_name.emplace(text);
    } else if (field.key == "StreamARN") {
      if (out.stream_arn || !get_string(field.value, text) || text.empty() ||
          static_cast<std::int64_t>(utf8_length(text)) > max_stream_arn_chars ||
          !matches_pattern(pattern::stream_arn, text)) {
        return false;
      }
      out.stream_arn.emplace(text);
    } else {
      return false;
    }
  }
  if (!has_records) return false;
  const std::size_t count = list.size();
  if (count < 1 || count > kinesis::put_records_max_entries) return false;

  std::vector<entry_fields> entries(count);
  std::size_t total = 0, i = 0;
  for (auto e : list) {
    if (!read_entry(e, entries[i])) return false;
    const std::size_t n = decoded_size(entries[i].data_base64);
    if (n > kinesis::max_record_bytes) return false;
    total += n + entries[i].partition_key.size() +
             (entries[i].explicit_hash_key ? entries[i].explicit_hash_key->size() : 0);
    ++i;
  }
  // Every Data decoded, then every key copied, into one buffer; the views are taken once it
  // is complete, so its growing cannot leave them dangling.
  struct spans {
    std::size_t data, key, hash_key;
  };
  std::vector<spans> at(count);
  out.bytes.reserve(total);
  for (i = 0; i < count; ++i) {
    at[i].data = out.bytes.size();
    if (!base64::decode_append(entries[i].data_base64, out.bytes)) return false;
  }
  for (i = 0; i < count; ++i) {
    at[i].key = out.bytes.size();
    out.bytes.append(entries[i].partition_key);
    at[i].hash_key = out.bytes.size();
    if (entries[i].explicit_hash_key) out.bytes.append(*entries[i].explicit_hash_key);
  }

  const std::string_view bytes(out.bytes);
  out.records.resize(count);
  for (i = 0; i < count; ++i) {
    auto& r = out.records[i];
    const std::size_t data_end = i + 1 < count ? at[i + 1].data : at[0].key;
    r.data = bytes.substr(at[i].data, data_end - at[i].data);
    r.partition_key = bytes.substr(at[i].key, entries[i].partition_key.size());
    if (entries[i].explicit_hash_key) {
      r.explicit_hash_key = bytes.substr(at[i].hash_key, entries[i].explicit_hash_key->size());
    }
  }
  return true;
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
  std::vector<storage::record_input> records(parsed.records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = parsed.records[i];
    if (auto e = actions::check_record(r.partition_key, r.explicit_hash_key, r.data, records[i])) {
      respond(*e);
      return true;
    }
  }
  actions::put_checked_records(ctx, parsed.stream_name ? &*parsed.stream_name : nullptr,
                               parsed.stream_arn ? &*parsed.stream_arn : nullptr, records, respond);
  return true;
}

}  // namespace spate::api
