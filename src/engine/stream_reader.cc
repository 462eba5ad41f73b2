// stream_reader: lineage-ordered reading of a shard or a stream, for subscribers.
#include "engine/stream_reader.h"

#include "kinesis/identifiers.h"

namespace spate::engine {

stream_reader::stream_reader(const engine& engine, const reader_options& options,
                             shard_listener* listener)
    : engine_(engine), options_(options), listener_(listener) {}

stream_reader::~stream_reader() = default;

outcome<std::unique_ptr<stream_reader>> stream_reader::open(const engine& engine,
                                                            const reader_options& options,
                                                            shard_listener* listener) {
  SPATE_TRY(auto snap, engine.describe(options.stream));
  std::unique_ptr<stream_reader> r(new stream_reader(engine, options, listener));
  r->created_ms_ = snap.stream.created_ms;
  r->tag_ = snap.tag;
  if (options.shard) {
    if (*options.shard >= snap.shards.size()) {
      return to_failure(kinesis::shard_not_found(kinesis::shard_id(*options.shard), options.stream,
                                                 engine.options().account_id));
    }
    r->add_cursor(snap.shards[*options.shard]);
    SPATE_TRY_VOID(r->start(r->cursors_.back(), options.start));
    return r;
  }
  for (const auto& shard : snap.shards) r->add_cursor(shard);
  if (options.start.type == iterator_type::latest) {
    // Only the open shards have a latest; everything closed lies in the past.
    for (auto& c : r->cursors_) {
      if (!c.shard.is_open()) c.at = cursor::state::done;
    }
  }
  for (auto& c : r->cursors_) {
    if (c.at == cursor::state::waiting && r->parents_done(c.shard)) {
      SPATE_TRY_VOID(r->start(c, options.start));
    }
  }
  return r;
}

// Watch first, then find the position: a commit in between wakes the listener, so nothing
// committed after the position was taken goes unnoticed.
outcome<void> stream_reader::start(cursor& c, const start_request& start) {
  SPATE_TRY(c.watch, engine_.watch(options_.stream, created_ms_, c.shard.index, listener_));
  SPATE_TRY(c.next, engine_.start_position(options_.stream, c.shard.index, start));
  c.at = cursor::state::reading;
  return {};
}

bool stream_reader::parents_done(const metadata::shard_record& shard) const {
  for (const auto parent : {shard.parent, shard.adjacent_parent}) {
    if (!parent) continue;
    const cursor* c = find(*parent);
    // A parent that is no longer listed has nothing left to read.
    if (c && c->at != cursor::state::done) return false;
  }
  return true;
}

void stream_reader::add_cursor(const metadata::shard_record& shard) {
  if (shard.index >= slot_.size()) slot_.resize(shard.index + 1, 0);
  cursors_.push_back({.shard = shard});
  slot_[shard.index] = static_cast<std::uint32_t>(cursors_.size());
}

const stream_reader::cursor* stream_reader::find(metadata::shard_index index) const {
  if (index >= slot_.size() || slot_[index] == 0) return nullptr;
  return &cursors_[slot_[index] - 1];
}

outcome<void> stream_reader::follow_lineage() {
  SPATE_TRY(auto snap, engine_.describe(options_.stream));
  if (snap.stream.created_ms != created_ms_) {
    return to_failure(kinesis::stream_not_found(options_.stream, engine_.options().account_id));
  }
  for (const auto& shard : snap.shards) {
    if (!find(shard.index)) add_cursor(shard);
  }
  // Children start from their beginning, where their parents ended; a reader that started at
  // a time starts them at that time too (their records before it are older than asked for).
  const start_request from_start = options_.start.type == iterator_type::at_timestamp
                                       ? options_.start
                                       : start_request{.type = iterator_type::trim_horizon};
  for (auto& c : cursors_) {
    if (c.at == cursor::state::waiting && parents_done(c.shard)) {
      SPATE_TRY_VOID(start(c, from_start));
    }
  }
  return {};
}

std::size_t stream_reader::first_candidate() const {
  const std::size_t n = cursors_.size();
  if (finished_) return n;
  for (std::size_t i = 0; i < n; ++i) {
    const cursor& c = cursors_[(turn_ + i) % n];
    if (c.at == cursor::state::reading && c.idle_at != c.watch.changes()) return (turn_ + i) % n;
  }
  return n;
}

std::optional<storage::position> stream_reader::reading_at(metadata::shard_index shard) const {
  const cursor* c = find(shard);
  if (!c || c->at == cursor::state::done) return std::nullopt;
  return c->next;
}

std::optional<stream_reader::read_start> stream_reader::next_read() const {
  const std::size_t i = first_candidate();
  if (i == cursors_.size()) return std::nullopt;
  const cursor& c = cursors_[i];
  return read_start{.shard = c.shard.index, .from = c.next, .changes = c.watch.changes()};
}

void stream_reader::skip(const read_start& at, storage::position next, std::size_t records,
                         std::size_t bytes, bool at_end) {
  const std::size_t i = first_candidate();
  if (i == cursors_.size() || cursors_[i].shard.index != at.shard || cursors_[i].next != at.from) {
    return;  // not what next_read() said: nothing to skip
  }
  cursors_[i].next = next;
  cursors_[i].idle_at = at_end ? std::optional(at.changes) : std::nullopt;
  turn_ = (i + 1) % cursors_.size();
  engine_.count_shared_read(options_.stream, created_ms_, at.shard, records, bytes);
}

outcome<std::optional<records_page>> stream_reader::read() {
  if (finished_) return std::optional<records_page>();
  const std::size_t n = cursors_.size();
  for (std::size_t i = 0; i < n; ++i) {
    cursor& c = cursors_[(turn_ + i) % n];
    if (c.at != cursor::state::reading) continue;
    // Nothing has happened to the shard since it was last found idle: skip the read.
    const std::uint64_t changes = c.watch.changes();
    if (c.idle_at == changes) continue;
    SPATE_TRY(auto page, engine_.read({.stream_name = options_.stream,
                                       .stream_created_ms = created_ms_,
                                       .shard = c.shard.index,
                                       .from = c.next,
                                       .max_records = options_.max_records,
                                       .max_bytes = options_.max_bytes}));
    c.next = page.batch.next;
    if (page.batch.records.empty() && !page.end_of_shard) {
      c.idle_at = changes;
      continue;
    }
    // A page that reached the committed end leaves nothing to read until the shard changes.
    c.idle_at = page.at_end ? std::optional(changes) : std::nullopt;
    turn_ = (turn_ + i + 1) % n;
    if (page.end_of_shard) {
      c.at = cursor::state::done;
      c.watch = shard_watch();
      if (options_.shard) {
        finished_ = true;
      } else {
        SPATE_TRY_VOID(follow_lineage());
      }
    }
    return std::optional<records_page>(std::move(page));
  }
  return std::optional<records_page>();
}

}  // namespace spate::engine
