// json_fast_path: PutRecords over simdjson's DOM, checking exactly the schema's constraints
// (through the same named limits put_records.cc's shape uses).
#include "api/json_fast_path.h"

#include "api/actions/common.h"
#include "api/actions/put_records.h"
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

// One Records entry, with the constraints of put_records.cc's entry shape.
bool read_entry(simdjson::dom::element e, entry_fields& out) {
  simdjson::dom::object object;
  if (e.get(object) != simdjson::SUCCESS) return false;
  bool has_key = false, has_data = false;
  for (auto field : object) {
    if (field.key == "PartitionKey") {
      if (!get_string(field.value, out.partition_key)) return false;
      const auto chars = static_cast<std::int64_t>(utf8_length(out.partition_key));
      if (chars < 1 || chars > actions::max_partition_key_chars) return false;
      has_key = true;
    } else if (field.key == "Data") {
      if (!get_string(field.value, out.data_base64)) return false;
      has_data = true;
    } else if (field.key == "ExplicitHashKey") {
      std::string_view key;
      if (!get_string(field.value, key) || !matches_pattern(pattern::hash_key, key)) return false;
      out.explicit_hash_key = key;
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

bool try_put_records_json(std::string_view body, action_context& ctx, const responder& respond) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::object root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return false;

  simdjson::dom::array list;
  bool has_records = false;
  std::optional<std::string> name, arn;
  for (auto field : root) {
    std::string_view text;
    if (field.key == "Records") {
      if (field.value.get(list) != simdjson::SUCCESS) return false;
      has_records = true;
    } else if (field.key == "StreamName") {
      if (!get_string(field.value, text) ||
          static_cast<std::int64_t>(text.size()) > max_stream_name_chars ||
          !matches_pattern(pattern::name, text)) {
        return false;
      }
      name.emplace(text);
    } else if (field.key == "StreamARN") {
      if (!get_string(field.value, text) || text.empty() ||
          static_cast<std::int64_t>(utf8_length(text)) > max_stream_arn_chars ||
          !matches_pattern(pattern::stream_arn, text)) {
        return false;
      }
      arn.emplace(text);
    } else {
      return false;
    }
  }
  if (!has_records) return false;
  const std::size_t count = list.size();
  if (count < 1 || count > static_cast<std::size_t>(actions::max_records_per_put)) return false;

  std::vector<entry_fields> entries(count);
  std::size_t total = 0, i = 0;
  for (auto e : list) {
    if (!read_entry(e, entries[i])) return false;
    const std::size_t n = decoded_size(entries[i].data_base64);
    if (n > static_cast<std::size_t>(actions::max_record_data)) return false;
    total += n;
    ++i;
  }
  // Decode every Data into one buffer, sized first so the views below stay valid.
  std::string data;
  data.reserve(total);
  std::vector<std::size_t> starts(count + 1);
  for (i = 0; i < count; ++i) {
    starts[i] = data.size();
    if (!base64::decode_append(entries[i].data_base64, data)) return false;
  }
  starts[count] = data.size();

  std::vector<storage::record_input> records(count);
  for (i = 0; i < count; ++i) {
    const std::string_view bytes(data.data() + starts[i], starts[i + 1] - starts[i]);
    if (auto e = actions::check_record(entries[i].partition_key, entries[i].explicit_hash_key,
                                       bytes, records[i])) {
      respond(*e);
      return true;
    }
  }
  actions::put_checked_records(ctx, name ? &*name : nullptr, arn ? &*arn : nullptr, records,
                               respond);
  return true;
}

}  // namespace spate::api
