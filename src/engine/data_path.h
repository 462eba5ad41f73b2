// data_path: the engine's data plane - puts routed to their open shards and acknowledged at
// the fsync policy's commit point, shard iterators, reads of committed records, and the watches
// that wake subscribers. It changes no stream's topology and writes no catalog row.
//
// Owned by the engine, which gives it the stream registry, the options, the clock and the
// secret iterators are sealed with. Threads: any, all at once. Puts and reads take a stream's
// topology lock shared; put completions run on the group committer's thread (fsync batch,
// always) or inline (never).
#pragma once

#include "engine/secret.h"
#include "engine/types.h"

#include <span>
#include <string>
#include <string_view>

namespace spate::engine {

class stream_registry;
struct stream_state;

class data_path {
 public:
  data_path(const engine_options& options, const clock& clock, const secret& key,
            const stream_registry& streams, storage::group_committer& committer)
      : options_(options), clock_(clock), key_(key), streams_(streams), committer_(committer) {}

  outcome<void> put(std::string_view stream, std::span<const storage::record_input> records,
                    put_callback done) const;
  outcome<std::string> get_shard_iterator(const iterator_request& request) const;
  outcome<records_page> get_records(std::string_view iterator, std::size_t limit,
                                    std::size_t max_bytes) const;
  outcome<storage::position> start_position(std::string_view stream, metadata::shard_index shard,
                                            const start_request& start) const;
  outcome<records_page> read(const shard_read& request) const;
  // Counts records a reader took from a page another reader read (read() counts its own).
  void count_shared_read(std::string_view stream, std::int64_t created_ms,
                         metadata::shard_index shard, std::size_t records, std::size_t bytes) const;
  outcome<shard_watch> watch(std::string_view stream, std::int64_t created_ms,
                             metadata::shard_index shard, shard_listener* listener) const;

 private:
  // start_position() within a stream already found.
  outcome<storage::position> start_in(const stream_state& stream, std::string_view name,
                                      metadata::shard_index shard,
                                      const start_request& start) const;

  const engine_options& options_;
  const clock& clock_;
  const secret& key_;
  const stream_registry& streams_;
  storage::group_committer& committer_;  // a put's shard syncs reach it together
};

}  // namespace spate::engine
