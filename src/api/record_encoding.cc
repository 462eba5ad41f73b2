// record_encoding: Records and ChildShards. A JSON record list is written whole (json_records.h);
// every other part, and record lists in CBOR, token by token.
#include "api/record_encoding.h"

#include "api/json_codec.h"
#include "api/json_records.h"
#include "engine/sequence_number.h"

namespace spate::api {

void write_records(encoder& out, const engine::records_page& page) {
  out.key("Records");
  write_record_list(out, page);
}

void write_record_list(encoder& out, const engine::records_page& page) {
  if (auto* json = dynamic_cast<json_encoder*>(&out)) {
    append_kinesis_records_json(page, json->value_buffer());
  } else {
    write_record_list_tokens(out, page);
  }
}

void write_record_list_tokens(encoder& out, const engine::records_page& page) {
  char sequence[engine::sequence_number_digits];
  const engine::shard_sequence_formatter numbers(page.tag, page.shard);
  out.begin_array();
  for (const auto& r : page.batch.records) {
    numbers.format(r.pos, sequence);
    out.begin_object();
    out.key("SequenceNumber");
    out.string({sequence, sizeof sequence});
    out.key("ApproximateArrivalTimestamp");
    out.timestamp(r.arrival_ms);
    out.key("Data");
    out.blob(r.data);
    out.key("PartitionKey");
    out.string(r.partition_key);
    out.end_object();
  }
  out.end_array();
}

void write_child_shards(encoder& out, const std::vector<metadata::shard_record>& children) {
  out.key("ChildShards");
  out.begin_array();
  for (const auto& child : children) {
    out.begin_object();
    out.key("ShardId");
    out.string(kinesis::shard_id(child.index));
    out.key("ParentShards");
    out.begin_array();
    if (child.parent) out.string(kinesis::shard_id(*child.parent));
    if (child.adjacent_parent) out.string(kinesis::shard_id(*child.adjacent_parent));
    out.end_array();
    out.key("HashKeyRange");
    out.begin_object();
    out.key("StartingHashKey");
    out.string(to_decimal(child.range.start));
    out.key("EndingHashKey");
    out.string(to_decimal(child.range.end));
    out.end_object();
    out.end_object();
  }
  out.end_array();
}

std::size_t encoded_size_hint(const engine::records_page& page) {
  // JSON: base64 data (4/3) plus about 170 bytes of names, numbers and keys per record.
  return page.batch.bytes * 4 / 3 + page.batch.records.size() * 170 + 1024;
}

}  // namespace spate::api
