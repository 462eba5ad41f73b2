// put_results: PutRecords' per-record answer entries, from a template per shard.
#include "api/put_results.h"

#include "common/assert.h"
#include "kinesis/identifiers.h"

namespace spate::api {

void write_put_result(encoder& out, std::uint32_t stream_tag, metadata::shard_index shard,
                      storage::position pos) {
  char sequence[engine::sequence_number_digits];
  engine::format_sequence_number({.stream_tag = stream_tag, .shard = shard, .pos = pos}, sequence);
  char id[kinesis::shard_id_length];
  kinesis::write_shard_id(shard, id);
  out.begin_object();
  out.key("SequenceNumber");
  out.string({sequence, sizeof sequence});
  out.key("ShardId");
  out.string({id, sizeof id});
  out.end_object();
}

put_result_templates::put_result_templates(const encoder& like, std::uint32_t stream_tag)
    : like_(like), stream_tag_(stream_tag) {}

put_result_templates::shard_template& put_result_templates::template_for(
    metadata::shard_index shard, storage::position pos) {
  if (last_ < templates_.size() && templates_[last_].shard == shard) return templates_[last_];
  for (last_ = 0; last_ < templates_.size(); ++last_) {
    if (templates_[last_].shard == shard) return templates_[last_];
  }
  shard_template& made = templates_.emplace_back(
      shard_template{shard, engine::shard_sequence_formatter(stream_tag_, shard), {}, 0});
  write_put_result(*like_.same_codec(made.bytes), stream_tag_, shard, pos);
  char sequence[engine::sequence_number_digits];
  made.format.format(pos, sequence);
  // The only run of 56 digits in the entry: the shard id has 12.
  made.sequence_at = made.bytes.find(std::string_view(sequence, sizeof sequence));
  SPATE_ASSERT(made.sequence_at != std::string::npos, "a sequence number in its own entry");
  return made;
}

std::string_view put_result_templates::entry(metadata::shard_index shard, storage::position pos) {
  shard_template& t = template_for(shard, pos);
  t.format.format(pos, t.bytes.data() + t.sequence_at);
  return t.bytes;
}

}  // namespace spate::api
