// stream_reader: a subscriber's reading position in one shard, or in a whole stream.
//
// A one-shard reader reads that shard from its start position and ends at the end of the shard
// if it is closed (the last page carries the children). A whole-stream reader follows the
// shard lineage as a consumer must: it reads every shard whose parents are finished, one page
// at a time in turn, and starts a child only after all of its parents have been read to their
// end, so records of one partition key arrive in order across resharding. New shards are found
// when a parent ends (resharding always closes the parents).
//
// The reader holds a shard_watch on each shard it reads, so `listener` hears of new committed
// records, of shards closing and of the stream's deletion; read() then returns what is new.
//
// Thread safety: one thread at a time (the subscriber's); the listener is called from others.
#pragma once

#include "engine/engine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spate::engine {

struct reader_options {
  std::string stream;
  std::optional<metadata::shard_index> shard;  // one shard; the whole stream if absent
  start_request start;                         // whole stream: TRIM_HORIZON, LATEST or AT_TIMESTAMP
  std::size_t max_records = 10'000;            // per page
  std::size_t max_bytes = 1u << 20;            // record bytes per page (at least one record)
};

class stream_reader {
 public:
  // Fails as GetShardIterator would (no such stream or shard, a bad sequence number).
  static outcome<std::unique_ptr<stream_reader>> open(const engine& engine,
                                                      const reader_options& options,
                                                      shard_listener* listener);
  ~stream_reader();
  stream_reader(const stream_reader&) = delete;
  stream_reader& operator=(const stream_reader&) = delete;

  // The next page with records, or the page that ends a closed shard (end_of_shard, with its
  // children); nullopt when nothing is readable now. Fails when the stream is gone.
  outcome<std::optional<records_page>> read();

  // Where read() would read first: the next shard in turn that may have news, the position
  // there, and the shard's change count now (shard_watch::changes). nullopt when no shard may
  // have news (read() would return nothing).
  struct read_start {
    metadata::shard_index shard = 0;
    storage::position from = 0;
    std::uint64_t changes = 0;
  };
  std::optional<read_start> next_read() const;
  // Where the reader goes on in `shard`: the position after the last record of it that read()
  // returned (or skip() went past), or its start position if it has not read it yet; nullopt
  // for a shard it has finished or never had.
  std::optional<storage::position> reading_at(metadata::shard_index shard) const;
  // Goes past a page of `at`'s shard that another reader read from `at.from` (records up to
  // `next`, `records` of them holding `bytes`; `at_end` as the page's), as if read() had
  // returned it: the following read starts at `next` and turns to the next shard. `at` is what
  // next_read() returned, with no read() or skip() since, and the page was read after the shard
  // had `at.changes` changes. The records count as read in the shard's metrics.
  void skip(const read_start& at, storage::position next, std::size_t records, std::size_t bytes,
            bool at_end);
  const reader_options& options() const { return options_; }
  // Shards the reader knows: those it reads, waits to start or has finished.
  std::size_t shard_count() const { return cursors_.size(); }
  std::int64_t stream_created_ms() const { return created_ms_; }

  // A one-shard reader has read its closed shard to the end: read() has nothing more.
  bool finished() const { return finished_; }
  // A one-shard reader's position: after the last record read() returned.
  storage::position next_position() const { return cursors_.front().next; }
  const std::string& stream() const { return options_.stream; }
  std::uint32_t stream_tag() const { return tag_; }

 private:
  struct cursor {
    metadata::shard_record shard;
    enum class state { waiting, reading, done } at = state::waiting;
    storage::position next = 0;
    shard_watch watch;
    // The shard's change count when a read last found nothing new; nullopt: read it.
    std::optional<std::uint64_t> idle_at;
  };

  stream_reader(const engine& engine, const reader_options& options, shard_listener* listener);
  outcome<void> start(cursor& c, const start_request& start);
  // Learns shards created since (children), and starts those whose parents are done.
  outcome<void> follow_lineage();
  bool parents_done(const metadata::shard_record& shard) const;
  // Appends a cursor for `shard`, which the reader does not have yet.
  void add_cursor(const metadata::shard_record& shard);
  // The cursor of shard `index`, in constant time (reading_at runs for each wake-up a push
  // source answers, on a whole-stream reader of any number of shards); null if none.
  const cursor* find(metadata::shard_index index) const;
  // The index in cursors_ of the first cursor read() would read, or n.
  std::size_t first_candidate() const;

  const engine& engine_;
  const reader_options options_;
  shard_listener* listener_;
  std::int64_t created_ms_ = 0;
  std::uint32_t tag_ = 0;
  std::vector<cursor> cursors_;      // by shard index order of discovery; only ever appended to
  std::vector<std::uint32_t> slot_;  // by shard index: 1 + its cursor's place in cursors_, or 0
  std::size_t turn_ = 0;             // round robin over reading cursors
  bool finished_ = false;
};

}  // namespace spate::engine
