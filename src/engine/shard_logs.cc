// Opening a shard's log, and discarding the logs of a change that failed.
#include "engine/shard_logs.h"

#include "common/log.h"
#include "engine/stream_state.h"
#include "kinesis/identifiers.h"

namespace spate::engine {

result<std::shared_ptr<shard_state>> shard_logs::open(const stream_state& stream,
                                                      const metadata::shard_record& record) {
  auto state = std::make_shared<shard_state>();
  state->record = record;
  state->id = kinesis::shard_id(record.index);
  storage::shard_log_options log_options;
  log_options.segment_size = options_.segment_size;
  const std::string dir = stream.dir + "/" + state->id;
  SPATE_TRY(state->log,
            storage::shard_log::open(
                fs_, dir, log_options, committer_, [](const storage::corruption_report& r) {
                  log::error("corruption in {} at offset {}: {} (intact frames resume at {})",
                             r.path, r.offset, r.reason, r.resumes_at);
                }));
  state->durable_end.store(state->log->next_position());  // recovered records are on disk
  return state;
}

void shard_logs::discard(std::vector<std::shared_ptr<shard_state>>& made,
                         const std::string& stream_dir, bool whole_stream_dir) {
  for (auto& shard : made) {
    (void)shard->log->close();
    if (!whole_stream_dir) (void)fs_.remove_tree(shard->log->dir());
  }
  made.clear();
  if (whole_stream_dir) (void)fs_.remove_tree(stream_dir);
}

}  // namespace spate::engine
