// shard_logs: making a shard's in-memory state with its log (opened, or created, in the
// stream's folder through the engine's file system and group committer), and taking back the
// logs a failed create or reshard made, so nothing of it stays on disk.
//
// Owned by the engine; used by stream creation, loading and resharding. Threads: the control
// thread and the opening thread (the logs it makes are then the stream's).
#pragma once

#include "engine/types.h"

#include <memory>
#include <string>
#include <vector>

namespace spate::engine {

struct shard_state;
struct stream_state;

class shard_logs {
 public:
  shard_logs(const engine_options& options, storage::file_system& fs,
             storage::group_committer& committer)
      : options_(options), fs_(fs), committer_(committer) {}

  // The shard's state over its log in `stream`'s folder; recovered records count as durable.
  result<std::shared_ptr<shard_state>> open(const stream_state& stream,
                                            const metadata::shard_record& record);
  // Closes logs made for a change that failed and removes their folders (or the whole
  // stream's folder), so a failed create or reshard leaves nothing behind.
  void discard(std::vector<std::shared_ptr<shard_state>>& made, const std::string& stream_dir,
               bool whole_stream_dir);

 private:
  const engine_options& options_;
  storage::file_system& fs_;
  storage::group_committer& committer_;
};

}  // namespace spate::engine
