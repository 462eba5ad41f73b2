// record_encoding: the parts of a Kinesis answer that carry records, shared by GetRecords and
// SubscribeToShard's events: the Records list and the ChildShards list.
#pragma once

#include "api/encoder.h"
#include "engine/engine.h"

#include <span>
#include <vector>

namespace spate::api {

// "Records": [{SequenceNumber, ApproximateArrivalTimestamp, Data, PartitionKey}, ...]
void write_records(encoder& out, const engine::records_page& page);
// The list alone, [{SequenceNumber, ...}, ...], as the value of a member or on its own: in JSON
// written whole by json_records.h, in other codecs token by token.
void write_record_list(encoder& out, const engine::records_page& page);
// Token by token in any codec: what the JSON writer is checked against.
void write_record_list_tokens(encoder& out, const engine::records_page& page);

// "ChildShards": [{ShardId, ParentShards, HashKeyRange}, ...]
void write_child_shards(encoder& out, const std::vector<metadata::shard_record>& children);

// Size to reserve for the encoded records of a page (base64 data plus names and numbers).
std::size_t encoded_size_hint(const engine::records_page& page);

}  // namespace spate::api
