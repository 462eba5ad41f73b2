// put_results: the answer's entry for an acknowledged record of PutRecords,
// {"SequenceNumber": ..., "ShardId": ...}, written by copying an encoded template.
//
// Every acknowledged record of one shard has an entry of the same length and layout: only the
// position and check digits of its sequence number differ. So the entry is encoded once per
// shard in the answer's codec, and each record's sequence number is written into that template
// in place.
// A PutRecords of 500 records then costs one encoded() call per record, where six encoder
// calls with their escape checks took 13% of the server's CPU (docs/performance.md).
#pragma once

#include "api/encoder.h"
#include "engine/sequence_number.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spate::api {

class put_result_templates {
 public:
  // Entries for a stream of tag `stream_tag`, encoded in `like`'s codec.
  put_result_templates(const encoder& like, std::uint32_t stream_tag);

  // The encoded entry of the record at `pos` of `shard`: valid until the next call.
  std::string_view entry(metadata::shard_index shard, storage::position pos);

 private:
  struct shard_template {
    metadata::shard_index shard;
    engine::shard_sequence_formatter format;
    std::string bytes;        // one encoded entry
    std::size_t sequence_at;  // where its sequence number's digits start
  };
  shard_template& template_for(metadata::shard_index shard, storage::position pos);

  const encoder& like_;
  std::uint32_t stream_tag_;
  std::vector<shard_template> templates_;  // the shards of one answer, in first-seen order
  std::size_t last_ = 0;                   // the template used last (records come in runs)
};

// The same entry written field by field: what a template is made from, and what the tests
// hold every templated entry to.
void write_put_result(encoder& out, std::uint32_t stream_tag, metadata::shard_index shard,
                      storage::position pos);

}  // namespace spate::api
