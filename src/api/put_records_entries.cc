// put_records_entries: the member checks and record layout both PutRecords fast paths share.
#include "api/put_records_entries.h"

#include "api/actions/common.h"
#include "api/actions/put_records.h"
#include "api/schema.h"
#include "common/base64.h"

#include <vector>

namespace spate::api::put_records_entries {
bool valid_partition_key(std::string_view key) {
  const std::size_t chars = utf8_length(key);
  return chars >= 1 && chars <= kinesis::max_partition_key_length;
}

bool valid_explicit_hash_key(std::string_view key) {
  return matches_pattern(pattern::hash_key, key);
}

bool valid_stream_name(std::string_view name) {
  return static_cast<std::int64_t>(name.size()) <= max_stream_name_chars &&
         matches_pattern(pattern::name, name);
}

bool valid_stream_arn(std::string_view arn) {
  return !arn.empty() && static_cast<std::int64_t>(utf8_length(arn)) <= max_stream_arn_chars &&
         matches_pattern(pattern::stream_arn, arn);
}

bool assemble(std::span<const entry> entries, bool data_is_base64, parsed_put_records& out) {
  const std::size_t count = entries.size();
  if (count < 1 || count > kinesis::put_records_max_entries) return false;
  out.records.clear();
  out.bytes.clear();
  std::size_t total = 0;
  for (const auto& e : entries) {
    const std::size_t n = data_is_base64 ? base64::decoded_size(e.data) : e.data.size();
    if (n > kinesis::max_record_bytes) return false;
    total += n + e.partition_key.size() + (e.explicit_hash_key ? e.explicit_hash_key->size() : 0);
  }
  // Every Data, then every key, into one buffer; the views are taken once it is complete, so
  // its growing cannot leave them dangling.
  struct spans {
    std::size_t data, key, hash_key;
  };
  std::vector<spans> at(count);
  out.bytes.reserve(total);
  for (std::size_t i = 0; i < count; ++i) {
    at[i].data = out.bytes.size();
    if (!data_is_base64) {
      out.bytes.append(entries[i].data);
    } else if (!base64::decode_append(entries[i].data, out.bytes)) {
      return false;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    at[i].key = out.bytes.size();
    out.bytes.append(entries[i].partition_key);
    at[i].hash_key = out.bytes.size();
    if (entries[i].explicit_hash_key) out.bytes.append(*entries[i].explicit_hash_key);
  }

  const std::string_view bytes(out.bytes);
  out.records.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
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

void put(const parsed_put_records& parsed, action_context& ctx, const responder& respond) {
  std::vector<storage::record_input> records(parsed.records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = parsed.records[i];
    if (auto e = actions::check_record(r.partition_key, r.explicit_hash_key, r.data, records[i])) {
      return respond(*e);
    }
  }
  actions::put_checked_records(ctx, parsed.stream_name ? &*parsed.stream_name : nullptr,
                               parsed.stream_arn ? &*parsed.stream_arn : nullptr, records, respond);
}

}  // namespace spate::api::put_records_entries
