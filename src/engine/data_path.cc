// The data plane: puts, iterators, reads and watches (data_path.h).
#include "engine/data_path.h"

#include "engine/shard_iterator.h"
#include "engine/stream_registry.h"
#include "engine/stream_state.h"
#include "kinesis/errors.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "storage/errc.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <memory>

namespace spate::engine {
namespace {

using metadata::shard_index;
using metadata::stream_status;

// The UTC time AWS prints in ExpiredIteratorException ("Tue Jan 02 15:04:05 UTC 2024").
std::string amz_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return text;
}

}  // namespace

// --- data plane --------------------------------------------------------------------------

namespace {

// One shard's part of a put: its append and its commit point both have to happen (in either
// order: under fsync=never the commit callback runs inside the append) before the shard's
// records become visible to readers and the put's join hears of it.
struct put_group {
  std::shared_ptr<shard_state> shard;
  std::vector<std::size_t> indexes;
  std::atomic<int> arrivals{0};
  storage::position end = 0;  // one past the group's last position; set after the append
  bool durable = false;       // set by the commit callback
  bool published = false;     // the records became visible to readers; set before arriving
};

// Joins the durable callbacks of one put's shard appends into one completion. The groups that
// published records wake their shard's subscribers only after the put's own completion: that
// queues the producer's response ahead of the subscribers' deliveries on the server's threads,
// so a put's latency does not grow with the number of subscribers it feeds.
//
// `results` and `groups` are filled by the putting thread before its own arrival, and read by
// the last arrival only: the acquire-release chain on `pending` orders them, as it orders each
// group's `published` before its arrival.
struct put_join {
  std::vector<put_result> results;
  std::vector<std::shared_ptr<put_group>> groups;
  std::atomic<std::size_t> pending{0};
  std::uint32_t tag = 0;
  put_callback done;

  void arrive() {
    if (pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    done(results, tag);
    for (const auto& g : groups) {
      if (g->published) g->shard->wake_subscribers();
    }
  }
};

// The hash key of each record: its ExplicitHashKey, or the MD5 of its partition key. The
// partition keys of a request are hashed together (several at once, common/md5_lanes.h), and a
// key that repeats the one before it is hashed once.
std::vector<uint128> hash_keys_of(std::span<const storage::record_input> records) {
  std::vector<std::string_view> distinct;              // partition keys to hash
  std::vector<std::uint32_t> hash_of(records.size());  // each record's place in `distinct`
  distinct.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (r.explicit_hash_key) continue;
    if (distinct.empty() || distinct.back() != r.partition_key) distinct.push_back(r.partition_key);
    hash_of[i] = static_cast<std::uint32_t>(distinct.size() - 1);
  }
  std::vector<uint128> hashes(distinct.size());
  kinesis::partition_key_hashes(distinct, hashes);
  std::vector<uint128> keys(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    keys[i] = r.explicit_hash_key ? *r.explicit_hash_key : hashes[hash_of[i]];
  }
  return keys;
}

}  // namespace

outcome<void> data_path::put(std::string_view name, std::span<const storage::record_input> records,
                             put_callback done) const {
  auto stream = streams_.find(name);
  if (!stream) return streams_.not_found(name);
  std::shared_lock lock(stream->mu);
  const auto status = stream->record.status;
  if (status != stream_status::active && status != stream_status::updating) {
    return streams_.not_found(name);
  }

  // The stream's maximum record size (UpdateMaxRecordSize); the api layer has already checked
  // AWS's absolute one. A record over it refuses the whole request, before anything is written.
  const std::size_t max_record =
      static_cast<std::size_t>(stream->record.max_record_size_kib) * 1024;
  for (const auto& r : records) {
    if (r.data.size() + r.partition_key.size() > max_record) {
      return to_failure(kinesis::record_over_stream_limit(r.data.size() + r.partition_key.size(),
                                                          stream->record.max_record_size_kib, name,
                                                          options_.account_id));
    }
  }

  auto join = std::make_shared<put_join>();
  join->results.resize(records.size());
  join->tag = stream->tag;
  join->done = std::move(done);

  // Route: group record indexes by shard, keeping request order within each shard. The group
  // of a shard is found through its index, so routing stays linear however many shards.
  std::vector<std::pair<shard_state*, std::vector<std::size_t>>> groups;
  std::vector<std::uint32_t> group_of(stream->shards.size(), UINT32_MAX);
  const bool limited = options_.shard_write_limits.enabled();
  const auto now = write_budget::clock::now();
  const std::vector<uint128> keys = hash_keys_of(records);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    shard_state* shard = stream->route(keys[i]);
    if (limited && !shard->budget.admit(r.data.size() + r.partition_key.size(),
                                        options_.shard_write_limits, now)) {
      shard->counters.add(shard_metric::write_throughput_exceeded, 1);
      join->results[i].shard = shard->record.index;
      join->results[i].error = to_failure(
          kinesis::shard_rate_exceeded(shard->id, stream->record.name, options_.account_id));
      continue;
    }
    auto& g = group_of[shard->record.index];
    if (g == UINT32_MAX) {
      g = static_cast<std::uint32_t>(groups.size());
      groups.push_back({shard, {}});
    }
    groups[g].second.push_back(i);
  }

  join->pending.store(groups.size() + 1, std::memory_order_relaxed);
  join->groups.reserve(groups.size());
  const std::int64_t arrival = clock_.wall_ms();
  std::vector<storage::record_input> batch;
  // The shards' sync requests reach the committer together, after the last append.
  storage::group_committer::request_group together(committer_);
  for (auto& [shard, indexes] : groups) {
    batch.clear();
    for (auto i : indexes) batch.push_back(records[i]);
    auto group = std::make_shared<put_group>();
    group->shard = stream->shards[shard->record.index];
    group->indexes = std::move(indexes);  // the group's own from here; read below, never written
    join->groups.push_back(group);
    const auto& members = group->indexes;
    // The second of (append returned, commit point reached) publishes the records.
    auto finish = [join, group] {
      if (group->arrivals.fetch_add(1, std::memory_order_acq_rel) != 1) return;
      group->published = group->durable && group->shard->publish(group->end);
      join->arrive();
    };
    auto appended = shard->log->append(
        batch, arrival, [join, group, finish, shard_id = shard->id](std::error_code ec) {
          if (ec) {
            for (auto i : group->indexes) {
              join->results[i].error = internal_failure("syncing " + shard_id, ec);
            }
          }
          group->durable = !ec;
          finish();
        });
    if (!appended) {
      for (auto i : members) {
        join->results[i].shard = shard->record.index;
        join->results[i].error = internal_failure("appending to " + shard->id, appended.error());
      }
      join->arrive();  // no commit callback follows a failed append
      continue;
    }
    std::uint64_t bytes = 0;
    for (const auto& r : batch) bytes += r.data.size() + r.partition_key.size();
    shard->counters.add(shard_metric::incoming_records, members.size());
    shard->counters.add(shard_metric::incoming_bytes, bytes);
    storage::position pos = appended->first;
    for (auto i : members) {
      join->results[i].shard = shard->record.index;
      join->results[i].pos = pos++;
    }
    group->end = appended->last + 1;
    finish();
  }
  lock.unlock();
  join->arrive();
  return {};
}

outcome<std::string> data_path::get_shard_iterator(const iterator_request& request) const {
  // AWS names the shard, not the stream, when the stream does not exist.
  auto stream = streams_.find(request.stream);
  if (!stream) return streams_.shard_not_found(request.shard, request.stream);
  std::int64_t created_ms = 0;
  {
    std::shared_lock lock(stream->mu);
    created_ms = stream->record.created_ms;
  }
  SPATE_TRY(auto pos, start_in(*stream, request.stream, request.shard,
                               {request.type, request.sequence_number, request.timestamp_ms}));
  return encode_shard_iterator(key_,
                               {request.stream, created_ms, request.shard, pos, clock_.wall_ms()});
}

outcome<storage::position> data_path::start_position(std::string_view name, shard_index index,
                                                     const start_request& start) const {
  SPATE_TRY(auto stream, streams_.find_or_fail(name));
  return start_in(*stream, name, index, start);
}

outcome<storage::position> data_path::start_in(const stream_state& stream, std::string_view name,
                                               shard_index index,
                                               const start_request& start) const {
  std::shared_ptr<shard_state> shard;
  {
    std::shared_lock lock(stream.mu);
    shard = stream.find_shard(index);
  }
  if (!shard) return streams_.shard_not_found(index, name);
  switch (start.type) {
    case iterator_type::trim_horizon:
      return shard->log->start_position();
    case iterator_type::latest:
      return shard->visible_end();
    case iterator_type::at_sequence_number:
    case iterator_type::after_sequence_number: {
      const auto fields = parse_sequence_number(start.sequence_number);
      if (!fields || fields->stream_tag != stream.tag) {
        return to_failure(kinesis::starting_sequence_number_invalid(
            start.sequence_number, shard->id, name, options_.account_id, fields.has_value()));
      }
      if (fields->shard != shard->record.index) {
        return to_failure(
            kinesis::sequence_number_of_other_shard(kinesis::shard_id(fields->shard), shard->id));
      }
      storage::position pos = fields->pos;
      // The shard's start is below its first record: after it comes that first record.
      if (start.type == iterator_type::after_sequence_number && !fields->shard_start) {
        pos = pos == UINT64_MAX ? shard->visible_end() : pos + 1;
      }
      return std::clamp(pos, std::min(shard->log->start_position(), shard->visible_end()),
                        shard->visible_end());
    }
    case iterator_type::at_timestamp: {
      auto found = shard->log->find_time(start.timestamp_ms);
      if (!found) return internal_failure("finding a timestamp", found.error());
      return std::min(*found, shard->visible_end());
    }
  }
  return shard->log->start_position();
}

outcome<records_page> data_path::get_records(std::string_view text, std::size_t limit,
                                             std::size_t max_bytes) const {
  const auto it = decode_shard_iterator(key_, text);
  if (!it) return to_failure(kinesis::invalid_shard_iterator());
  const std::int64_t now = clock_.wall_ms();
  if (now - it->issued_ms > options_.iterator_ttl_ms) {
    return to_failure(kinesis::iterator_expired(amz_time(it->issued_ms), amz_time(now),
                                                options_.iterator_ttl_ms));
  }
  SPATE_TRY(auto page, read({.stream_name = it->stream_name,
                             .stream_created_ms = it->stream_created_ms,
                             .shard = it->shard,
                             .from = it->pos,
                             .max_records = limit,
                             .max_bytes = max_bytes,
                             .get_records = true}));
  if (page.end_of_shard) return page;  // children, no next iterator
  page.next_iterator = encode_shard_iterator(
      key_, {it->stream_name, it->stream_created_ms, it->shard, page.batch.next, now});
  return page;
}

outcome<records_page> data_path::read(const shard_read& request) const {
  // An iterator of a deleted (or deleted and created again) stream: AWS names the shard.
  auto stream = streams_.find(request.stream_name);
  if (!stream) return streams_.shard_not_found(request.shard, request.stream_name);
  records_page page;
  std::shared_ptr<shard_state> shard;
  bool closed = false;
  {
    std::shared_lock lock(stream->mu);
    if (stream->record.created_ms != request.stream_created_ms ||
        request.shard >= stream->shards.size()) {
      return streams_.shard_not_found(request.shard, request.stream_name);
    }
    shard = stream->shards[request.shard];
    closed = !shard->record.is_open();
    if (closed) {
      for (const auto& s : stream->shards) {
        if (s->record.parent == request.shard || s->record.adjacent_parent == request.shard) {
          page.children.push_back(s->record);
        }
      }
    }
  }
  page.stream_name = request.stream_name;
  page.tag = stream->tag;
  page.shard = request.shard;
  const storage::read_limits limits{request.max_records, request.max_bytes};
  const storage::position from = std::max(request.from, shard->log->start_position());
  auto batch = shard->log->read(from, limits);
  if (!batch) {
    if (batch.error() != storage::errc::position_trimmed) {
      return internal_failure(fmt::format("reading {} at position {}", shard->id, from),
                              batch.error());
    }
    batch = shard->log->read(shard->log->start_position(), limits);
    if (!batch) return internal_failure("reading " + shard->id, batch.error());
  }
  page.batch = std::move(*batch);
  // Hide records that have not reached the commit point yet (see shard_state::durable_end).
  const storage::position visible = shard->visible_end();
  auto& records = page.batch.records;
  while (!records.empty() && records.back().pos >= visible) {
    page.batch.bytes -= records.back().partition_key.size() + records.back().data.size();
    records.pop_back();
  }
  if (page.batch.next > visible) page.batch.next = std::max(from, visible);
  // How old the last record read is: MillisBehindLatest when more follow, and the shard's
  // iterator age either way. The clock is read once per read.
  const std::int64_t now = clock_.wall_ms();
  const std::int64_t age =
      records.empty() ? 0 : std::max<std::int64_t>(0, now - records.back().arrival_ms);
  if (page.batch.next < visible) page.millis_behind = age;
  page.at_end = page.batch.next >= visible;
  shard->counters.add(shard_metric::outgoing_records, records.size());
  shard->counters.add(shard_metric::outgoing_bytes, page.batch.bytes);
  if (request.get_records) {
    shard->counters.set(shard_metric::iterator_age_ms, static_cast<std::uint64_t>(age));
    shard->last_get_records_ms.store(now, std::memory_order_relaxed);
  }
  page.end_of_shard = closed && page.batch.next >= shard->log->next_position();
  if (!page.end_of_shard) page.children.clear();
  return page;
}

void data_path::count_shared_read(std::string_view name, std::int64_t created_ms,
                                  metadata::shard_index shard, std::size_t records,
                                  std::size_t bytes) const {
  auto stream = streams_.find(name);
  if (!stream) return;
  std::shared_lock lock(stream->mu);
  if (stream->record.created_ms != created_ms || shard >= stream->shards.size()) return;
  auto& counters = stream->shards[shard]->counters;
  counters.add(shard_metric::outgoing_records, records);
  counters.add(shard_metric::outgoing_bytes, bytes);
}

outcome<shard_watch> data_path::watch(std::string_view name, std::int64_t created_ms,
                                      metadata::shard_index shard, shard_listener* listener) const {
  auto stream = streams_.find(name);
  if (!stream) return streams_.not_found(name);
  std::shared_lock lock(stream->mu);
  if (stream->record.created_ms != created_ms) return streams_.not_found(name);
  if (shard >= stream->shards.size()) return streams_.shard_not_found(shard, name);
  return shard_watch(stream->shards[shard]->watchers, listener);
}

}  // namespace spate::engine
