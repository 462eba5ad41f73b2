// Shard log: segment list management, appends with rolling, reads across segments, retention.
#include "storage/shard_log.h"

#include "common/clock.h"
#include "storage/errc.h"
#include "storage/record_format.h"
#include "storage/record_writer.h"
#include "storage/segment_name.h"

#include <algorithm>

namespace spate::storage {

namespace fmt = record_format;

shard_log::shard_log(file_system& fs, std::string dir, const shard_log_options& options,
                     group_committer& committer)
    : fs_(fs), dir_(std::move(dir)), options_(options), committer_(committer) {}

shard_log::~shard_log() {
  (void)close();
}

result<std::unique_ptr<shard_log>> shard_log::open(file_system& fs, std::string dir,
                                                   const shard_log_options& options,
                                                   group_committer& committer,
                                                   corruption_reporter reporter) {
  SPATE_TRY_VOID(fs.create_dirs(dir));
  SPATE_TRY(auto names, fs.list(dir));
  std::vector<position> segment_bases;
  std::vector<position> index_bases;
  for (const auto& name : names) {
    auto parsed = segment_file_name::parse(name);
    if (!parsed) {
      // Leftovers of an interrupted atomic write; anything else is not ours to touch.
      if (name.ends_with(".tmp")) (void)fs.remove(join_path(dir, name));
      continue;
    }
    (parsed->kind == segment_file_kind::segment ? segment_bases : index_bases)
        .push_back(parsed->base);
  }
  std::sort(segment_bases.begin(), segment_bases.end());
  for (position base : index_bases) {
    if (!std::binary_search(segment_bases.begin(), segment_bases.end(), base)) {
      (void)fs.remove(join_path(dir, segment_file_name{base, segment_file_kind::index}.format()));
    }
  }

  std::unique_ptr<shard_log> log(new shard_log(fs, std::move(dir), options, committer));
  for (std::size_t i = 0; i < segment_bases.size(); ++i) {
    const bool is_active = i + 1 == segment_bases.size();
    SPATE_TRY(auto seg,
              segment::open(fs, log->dir_, segment_bases[i], is_active, options.segment, reporter));
    if (seg->empty() && i + 1 < segment_bases.size()) {
      // An empty segment with later ones after it holds nothing and never will (a crash
      // between its creation and its first sync): later segments carry the positions on.
      SPATE_TRY_VOID(seg->remove_files());
      continue;
    }
    if (!log->segments_.empty() && log->segments_.back()->next_position() > seg->base()) {
      if (reporter) {
        reporter({seg->path(), 0, 0, "segment overlaps the positions of the one before it"});
      }
      return errc::corruption;
    }
    log->last_arrival_ = std::max(log->last_arrival_, seg->max_arrival());
    log->segments_.push_back(std::move(seg));
  }
  if (log->segments_.empty()) {
    SPATE_TRY(auto seg, segment::create(fs, log->dir_, 0, now_ms(), options.segment));
    log->segments_.push_back(std::move(seg));
  } else {
    // The active segment's index file (written by a clean close) goes stale with the first
    // append; drop it now, recovery already read what it had.
    log->segments_.back()->remove_index_file();
    const auto& active = log->segments_.back();
    if (active->positions_seen_end() > active->next_position()) {
      // Recovery cut the active segment at corruption: continue in a new segment past every
      // position the cut-away bytes held, so no position is ever handed out twice.
      SPATE_TRY(auto fresh, segment::create(fs, log->dir_, active->positions_seen_end(), now_ms(),
                                            options.segment));
      log->segments_.push_back(std::move(fresh));
    }
  }
  // Every segment but the active one is sealed: synced first unless its index file is
  // already trusted (an index must never describe bytes a power loss could take), then it
  // keeps no index in memory. A segment whose sync or index file fails keeps its index in
  // memory, which costs memory but no correctness.
  for (std::size_t i = 0; i + 1 < log->segments_.size(); ++i) {
    const auto& seg = log->segments_[i];
    if (seg->has_index_file() || seg->sync()) (void)seg->seal();
  }
  return log;
}

std::vector<std::shared_ptr<segment>> shard_log::segments_snapshot() const {
  std::lock_guard lock(segments_mu_);
  return segments_;
}

std::size_t shard_log::segment_count() const {
  std::lock_guard lock(segments_mu_);
  return segments_.size();
}

std::size_t shard_log::resident_index_entries() const {
  std::size_t entries = 0;
  for (const auto& seg : segments_snapshot()) entries += seg->resident_index_entries();
  return entries;
}

namespace {

// The oldest retained position of a log made of `segments`.
position start_of(const std::vector<std::shared_ptr<segment>>& segments) {
  for (const auto& seg : segments) {
    if (!seg->empty()) return seg->base();
  }
  // No segment held a record when looked at: the log starts where the active one does (its
  // base, fixed, rather than its next position, which an append may just have moved).
  return segments.back()->base();
}

}  // namespace

position shard_log::start_position() const {
  std::lock_guard lock(segments_mu_);
  return start_of(segments_);
}

position shard_log::next_position() const {
  std::shared_ptr<segment> active;
  {
    std::lock_guard lock(segments_mu_);
    active = segments_.back();
  }
  return active->next_position();
}

result<append_result> shard_log::append(std::span<const record_input> records,
                                        std::int64_t arrival_ms, durable_callback on_durable) {
  for (const auto& r : records) {
    if (r.partition_key.size() > fmt::max_partition_key_size ||
        record_frame_size(r) - fmt::frame_header_size > fmt::max_payload_size) {
      return errc::record_too_large;
    }
  }
  std::lock_guard lock(append_mu_);
  if (closed_) return errc::log_closed;

  std::shared_ptr<segment> active;
  {
    std::lock_guard list_lock(segments_mu_);
    active = segments_.back();
  }
  const position first = active->next_position();
  last_arrival_ = std::max(last_arrival_, arrival_ms);

  encoded_batch& batch = scratch_;
  batch.clear();
  batch.first = first;
  batch.arrival_ms = last_arrival_;
  for (std::size_t i = 0; i < records.size(); ++i) {
    batch.frame_offsets.push_back(static_cast<std::uint32_t>(batch.frames.size()));
    append_record_frame(batch.frames, records[i], first + i, batch.arrival_ms);
  }

  if (!active->empty() && active->size() + batch.frames.size() > options_.segment_size) {
    SPATE_TRY_VOID(roll(arrival_ms));
    std::lock_guard list_lock(segments_mu_);
    active = segments_.back();
  }
  SPATE_TRY_VOID(active->append(batch));

  append_result out{first, first + records.size() - 1, batch.arrival_ms};
  if (records.empty()) out.last = first;
  if (on_durable) committer_.request_sync(active, std::move(on_durable));
  return out;
}

result<void> shard_log::roll(std::int64_t now) {
  std::shared_ptr<segment> old;
  {
    std::lock_guard list_lock(segments_mu_);
    old = segments_.back();
  }
  SPATE_TRY(auto fresh, segment::create(fs_, dir_, old->next_position(), now, options_.segment));
  {
    std::lock_guard list_lock(segments_mu_);
    segments_.push_back(fresh);
  }
  // Seal the old segment off the append path: once it is synced, its index file lets the
  // next open skip scanning it and lets lookups leave memory.
  committer_.request_sync(old, [old](std::error_code ec) {
    if (!ec) (void)old->seal();
  });
  return {};
}

result<read_batch> shard_log::read(position from, const read_limits& limits) const {
  read_batch out;
  out.next = from;
  const auto segments = segments_snapshot();
  if (from < start_of(segments)) return errc::position_trimmed;

  // The last segment whose base is at or before `from`, then onwards.
  auto it = std::upper_bound(segments.begin(), segments.end(), from,
                             [](position p, const auto& seg) { return p < seg->base(); });
  if (it != segments.begin()) --it;
  position cursor = from;
  for (; it != segments.end(); ++it) {
    const auto& seg = *it;
    cursor = std::max(cursor, seg->base());  // skips any gap left by a torn segment tail
    SPATE_TRY_VOID(seg->read(cursor, limits, out));
    if (out.records.size() >= limits.max_records || out.bytes >= limits.max_bytes) break;
    if (out.next < seg->next_position()) break;  // stopped by limits inside this segment
    cursor = std::max(cursor, out.next);
  }
  return out;
}

result<position> shard_log::find_time(std::int64_t arrival_ms) const {
  for (const auto& seg : segments_snapshot()) {
    SPATE_TRY(auto found, seg->find_time(arrival_ms));
    if (found) return *found;
  }
  return next_position();
}

result<std::size_t> shard_log::apply_retention(std::int64_t now, std::int64_t retention_ms) {
  std::lock_guard lock(append_mu_);
  if (closed_) return errc::log_closed;
  const std::int64_t cutoff = now - retention_ms;
  auto expired = [&](const std::shared_ptr<segment>& seg) { return seg->max_arrival() < cutoff; };

  auto segments = segments_snapshot();
  if (!segments.back()->empty() && expired(segments.back())) {
    // Even the active segment is past retention: roll so it can go like the others.
    SPATE_TRY_VOID(roll(now));
    segments = segments_snapshot();
  }
  std::vector<std::shared_ptr<segment>> doomed;
  {
    std::lock_guard list_lock(segments_mu_);
    while (segments_.size() > 1 && expired(segments_.front())) {
      doomed.push_back(segments_.front());
      segments_.erase(segments_.begin());
    }
  }
  for (const auto& seg : doomed) SPATE_TRY_VOID(seg->remove_files());
  return doomed.size();
}

result<void> shard_log::sync() {
  for (const auto& seg : segments_snapshot()) {
    if (seg->synced_size() < seg->size()) SPATE_TRY_VOID(seg->sync());
  }
  return {};
}

result<void> shard_log::close() {
  std::lock_guard lock(append_mu_);
  if (closed_) return {};
  closed_ = true;
  SPATE_TRY_VOID(sync());
  // Every segment gets its index file now, including sealed ones whose asynchronous sealing
  // has not run yet, so the next open scans nothing.
  for (const auto& seg : segments_snapshot()) {
    if (!seg->has_index_file()) SPATE_TRY_VOID(seg->write_index_file());
  }
  return {};
}

result<void> shard_log::remove_files() {
  SPATE_TRY_VOID(close());
  for (const auto& seg : segments_snapshot()) SPATE_TRY_VOID(seg->remove_files());
  return {};
}

}  // namespace spate::storage
