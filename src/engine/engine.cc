// engine: stream lifecycle, routing, puts and reads, resharding, maintenance.
#include "engine/engine.h"

#include "common/assert.h"
#include "common/clock.h"
#include "common/log.h"
#include "engine/shard_iterator.h"
#include "engine/stream_state.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"
#include "kinesis/rules.h"
#include "metadata/errc.h"
#include "storage/errc.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

namespace spate::engine {

[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location&) {
  log::error("engine outcome read without checking: {}", f.message);
  std::abort();
}

namespace {

using metadata::shard_index;
using metadata::shard_record;
using metadata::stream_mode;
using metadata::stream_record;
using metadata::stream_status;

std::string stream_dir_name(const stream_record& s) {
  return s.name + "-" + std::to_string(s.created_ms);
}

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

std::size_t stream_snapshot::open_shard_count() const {
  return static_cast<std::size_t>(
      std::count_if(shards.begin(), shards.end(), [](const auto& s) { return s.is_open(); }));
}

// --- lifecycle ---------------------------------------------------------------------------

engine::engine(const engine_options& options, secret key)
    : options_(options),
      clock_(options.time ? *options.time : system_clock()),
      key_(std::move(key)),
      fs_(options.file_system ? *options.file_system : own_fs_),
      committer_(options.fsync),
      claims_(std::make_shared<claim_table>()),
      scheduler_(clock_, options.retention_check_ms,
                 [this](std::int64_t now) { apply_retention(now); }) {}

result<std::unique_ptr<engine>> engine::open(const engine_options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return ec;
  SPATE_TRY(auto key, secret::load_or_create(options.data_dir + "/server.key"));
  std::unique_ptr<engine> e(new engine(options, std::move(key)));
  SPATE_TRY_VOID(e->fs_.create_dirs(options.data_dir + "/streams"));
  SPATE_TRY(e->catalog_, metadata::catalog::open(options.data_dir + "/catalog.db"));
  if (options.catalog_faults) e->catalog_->set_fault_hook(options.catalog_faults);
  SPATE_TRY_VOID(e->load());
  e->scheduler_.start();
  return e;
}

engine::~engine() {
  close();
}

void engine::close() {
  if (closed_.exchange(true)) return;
  scheduler_.stop();
  std::unique_lock lock(streams_mu_);
  for (auto& [name, stream] : streams_) {
    std::unique_lock topology(stream->mu);
    for (auto& shard : stream->shards) {
      if (auto r = shard->log->close(); !r) {
        log::error("closing {} failed: {}", shard->log->dir(), r.error().message());
      }
    }
  }
}

result<void> engine::load() {
  SPATE_TRY(account_, catalog_->get_account_settings());
  SPATE_TRY(auto records, catalog_->list_streams());
  std::vector<std::string> finish_deleting;
  for (auto& record : records) {
    auto stream = std::make_shared<stream_state>();
    stream->tag = stream_tag(record.name, record.created_ms);
    stream->dir = options_.data_dir + "/streams/" + stream_dir_name(record);
    SPATE_TRY(auto shards, catalog_->list_shards(record.name));
    for (const auto& shard : shards) {
      SPATE_TRY(auto state, open_shard(*stream, shard));
      SPATE_ASSERT(shard.index == stream->shards.size(), "shard indexes are not dense");
      stream->shards.push_back(std::move(state));
    }
    stream->rebuild_routing();
    SPATE_TRY(auto consumers, catalog_->list_consumers(record.name));
    for (auto& c : consumers) {
      // A delayed consumer transition was pending when the server stopped; complete it now.
      if (c.status == metadata::consumer_status::deleting) {
        SPATE_TRY_VOID(catalog_->delete_consumer(c.stream, c.name));
        continue;
      }
      if (c.status == metadata::consumer_status::creating) {
        c.status = metadata::consumer_status::active;
        SPATE_TRY_VOID(catalog_->put_consumer(c));
      }
      auto name = c.name;
      stream->consumers.emplace(std::move(name), std::move(c));
    }
    if (record.status == stream_status::deleting) {
      finish_deleting.push_back(record.name);
    } else if (record.status != stream_status::active) {
      // A delayed transition was pending when the server stopped; complete it now.
      record.status = stream_status::active;
      record.warm_current_mibs = record.warm_target_mibs;
      SPATE_TRY_VOID(catalog_->update_stream(record));
    }
    last_created_ms_ = std::max(last_created_ms_, record.created_ms);
    stream->record = std::move(record);
    streams_.emplace(stream->record.name, std::move(stream));
  }
  SPATE_TRY(auto policies, catalog_->list_policies());
  for (auto& p : policies) {
    auto it = streams_.find(p.stream);
    if (it == streams_.end()) continue;
    // A consumer's policy outlives it only if a crash came between the two deletes.
    if (!p.consumer.empty() && !it->second->consumers.contains(p.consumer)) continue;
    it->second->policies.emplace(std::move(p.arn), std::move(p.policy));
  }
  for (const auto& name : finish_deleting) remove_stream_now(name);

  // Remove what the catalog does not know: directories of streams it no longer has (a crash
  // during a delete, or during a create before its catalog row), and of shards a crash during
  // a reshard made before the catalog took them.
  const std::string streams_dir = options_.data_dir + "/streams";
  SPATE_TRY(auto stream_dirs, fs_.list(streams_dir));
  for (const auto& entry : stream_dirs) {
    const std::string dir = streams_dir + "/" + entry;
    const stream_state* known = nullptr;
    for (const auto& [name, stream] : streams_) {
      if (stream->dir == dir) known = stream.get();
    }
    if (!known) {
      (void)fs_.remove_tree(dir);
      continue;
    }
    auto shard_dirs = fs_.list(dir);
    if (!shard_dirs) continue;
    for (const auto& shard_dir : *shard_dirs) {
      bool listed = false;
      for (const auto& shard : known->shards) listed = listed || shard->id == shard_dir;
      if (!listed) (void)fs_.remove_tree(dir + "/" + shard_dir);
    }
  }
  return {};
}

result<std::shared_ptr<engine::shard_state>> engine::open_shard(const stream_state& stream,
                                                                const shard_record& record) {
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

// --- lookups and messages ----------------------------------------------------------------

std::string engine::stream_arn(std::string_view name) const {
  return kinesis::stream_arn(options_.region, options_.account_id, name);
}

outcome<std::string> engine::stream_name_from_arn(std::string_view arn) const {
  const std::string prefix = stream_arn("");
  if (arn.starts_with(prefix) && arn.size() > prefix.size()) {
    return std::string(arn.substr(prefix.size()));
  }
  // An ARN of another account or region (or not a stream ARN): name what it points at.
  const auto other = kinesis::parse_stream_arn(arn);
  return to_failure(kinesis::stream_not_found(
      other.name, other.account.empty() ? std::string_view(options_.account_id) : other.account));
}

std::optional<failure> engine::check_shard_limit(std::size_t open, std::size_t additional) const {
  if (auto refused = kinesis::check_shard_limit(options_.account_id, options_.region, open,
                                                additional, options_.shard_limit)) {
    return to_failure(std::move(*refused));
  }
  return std::nullopt;
}

failure engine::on_demand_limit() const {
  return to_failure(kinesis::on_demand_stream_limit_exceeded(options_.on_demand_stream_limit,
                                                             options_.account_id, options_.region));
}

failure engine::not_found(std::string_view name) const {
  return to_failure(kinesis::stream_not_found(name, options_.account_id));
}

failure engine::not_active(const stream_state& stream) const {
  return to_failure(kinesis::stream_not_active(stream.record.name, options_.account_id,
                                               to_string(stream.record.status)));
}

failure engine::shard_not_found(shard_index shard, std::string_view stream) const {
  return to_failure(
      kinesis::shard_not_found(kinesis::shard_id(shard), stream, options_.account_id));
}

std::shared_ptr<engine::stream_state> engine::find(std::string_view name) const {
  std::shared_lock lock(streams_mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

outcome<std::shared_ptr<engine::stream_state>> engine::find_or_fail(std::string_view name) const {
  auto stream = find(name);
  if (!stream) return not_found(name);
  return stream;
}

outcome<std::shared_ptr<engine::stream_state>> engine::find_active(std::string_view name) const {
  auto stream = find(name);
  if (!stream) return not_found(name);
  std::shared_lock lock(stream->mu);
  if (stream->record.status != stream_status::active) return not_active(*stream);
  return stream;
}

std::size_t engine::open_shard_count() const {
  std::shared_lock lock(streams_mu_);
  std::size_t count = 0;
  for (const auto& [name, stream] : streams_) {
    std::shared_lock topology(stream->mu);
    count += stream->routing.size();
  }
  return count;
}

std::size_t engine::on_demand_stream_count() const {
  std::shared_lock lock(streams_mu_);
  std::size_t count = 0;
  for (const auto& [name, stream] : streams_) {
    std::shared_lock topology(stream->mu);
    count += stream->record.mode == stream_mode::on_demand;
  }
  return count;
}

// --- control plane -----------------------------------------------------------------------

outcome<void> engine::create_stream(const std::string& name, std::uint32_t shard_count,
                                    stream_mode mode,
                                    const std::map<std::string, std::string>& tags) {
  std::lock_guard control(control_mu_);
  if (find(name)) return to_failure(kinesis::stream_already_exists(name, options_.account_id));
  if (mode == stream_mode::on_demand) {
    if (shard_count == 0) shard_count = kinesis::on_demand_initial_shards;
    if (on_demand_stream_count() + 1 > options_.on_demand_stream_limit) return on_demand_limit();
  }
  if (auto refused = check_shard_limit(open_shard_count(), shard_count)) return *refused;

  auto stream = std::make_shared<stream_state>();
  stream_record& record = stream->record;
  record.name = name;
  record.arn = stream_arn(name);
  // Strictly later than any earlier stream's creation, so a stream deleted and created again
  // within one millisecond still gets a new tag (old sequence numbers and iterators stay
  // foreign to it).
  record.created_ms = std::max(clock_.wall_ms(), last_created_ms_ + 1);
  last_created_ms_ = record.created_ms;
  record.status = options_.create_stream_ms > 0 ? stream_status::creating : stream_status::active;
  record.mode = mode;
  record.tags = tags;
  record.next_shard_index = shard_count;
  stream->tag = stream_tag(name, record.created_ms);
  stream->dir = options_.data_dir + "/streams/" + stream_dir_name(record);

  std::vector<shard_record> shards;
  const auto ranges = kinesis::split_evenly(shard_count);
  for (shard_index i = 0; i < shard_count; ++i) {
    shard_record shard;
    shard.index = i;
    shard.range = ranges[i];
    shard.created_ms = record.created_ms;
    shards.push_back(shard);
  }
  // All or nothing: the logs first, then the catalog row that makes the stream exist. A
  // failure at either step removes what was made, so the name stays free and a restart finds
  // nothing (a crash between the two leaves only files, which the next start removes).
  for (const auto& shard : shards) {
    auto state = open_shard(*stream, shard);
    if (!state) {
      discard_shards(stream->shards, stream->dir, true);
      return internal_failure("creating shard log", state.error());
    }
    stream->shards.push_back(std::move(*state));
  }
  if (auto r = catalog_->create_stream(record, shards); !r) {
    discard_shards(stream->shards, stream->dir, true);
    return internal_failure("creating stream " + name, r.error());
  }
  stream->rebuild_routing();
  {
    std::unique_lock lock(streams_mu_);
    streams_.emplace(name, stream);
  }
  if (record.status == stream_status::creating) {
    scheduler_.schedule(options_.create_stream_ms, [this, name] {
      std::lock_guard control(control_mu_);
      auto s = find(name);
      if (!s || s->record.status != stream_status::creating) return;
      auto updated = s->record;
      updated.status = stream_status::active;
      (void)store_record(*s, updated, "activating a stream");
    });
  }
  return {};
}

// Caller holds control_mu_, which every writer of a stream's record holds, so the record can
// be read without the stream's lock. The catalog write (an fsync) happens before the lock is
// taken; the lock is held only to publish the new record, so puts and reads of the stream
// never wait for the disk.
outcome<void> engine::store_record(stream_state& stream, const stream_record& updated,
                                   std::string_view doing) {
  if (auto r = catalog_->update_stream(updated); !r) return internal_failure(doing, r.error());
  std::unique_lock lock(stream.mu);
  stream.record = updated;
  return {};
}

outcome<void> engine::delete_stream(const std::string& name, bool enforce_consumer_deletion) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_or_fail(name));
  if (!enforce_consumer_deletion && !stream->consumers.empty()) {
    return to_failure(kinesis::stream_has_consumers(name, options_.account_id));
  }
  if (options_.delete_stream_ms <= 0) {
    remove_stream_now(name);
    return {};
  }
  if (stream->record.status == stream_status::deleting) return {};
  const bool creating = stream->record.status == stream_status::creating;
  auto updated = stream->record;
  updated.status = stream_status::deleting;
  SPATE_TRY_VOID(store_record(*stream, updated, "deleting stream " + name));
  if (creating) {
    std::unique_lock lock(stream->mu);
    stream->deleted_while_creating = true;
  }
  scheduler_.schedule(options_.delete_stream_ms, [this, name] {
    std::lock_guard control(control_mu_);
    remove_stream_now(name);
  });
  return {};
}

// Caller holds control_mu_ (or is loading). Drops the stream from the catalog first, so a crash
// between the two steps leaves only files, which the next start removes. The stream is marked
// DELETING first, so a put that found it just before waits for nothing and is refused with
// ResourceNotFound; the logs are closed (a sync each) outside the stream's lock.
void engine::remove_stream_now(const std::string& name) {
  std::shared_ptr<stream_state> stream;
  {
    std::unique_lock lock(streams_mu_);
    auto it = streams_.find(name);
    if (it == streams_.end()) return;
    stream = it->second;
    streams_.erase(it);
  }
  {
    std::unique_lock lock(stream->mu);
    stream->record.status = stream_status::deleting;
  }
  stream->notify_all_shards();  // subscribers find the stream gone and end
  if (auto r = catalog_->delete_stream(name); !r && r.error() != metadata::errc::stream_not_found) {
    log::error("removing stream {} from the catalog failed: {}", name, r.error().message());
  }
  for (auto& shard : stream->shards) (void)shard->log->close();
  (void)fs_.remove_tree(stream->dir);
}

outcome<stream_snapshot> engine::describe(std::string_view name) const {
  SPATE_TRY(auto stream, find_or_fail(name));
  std::shared_lock lock(stream->mu);
  return stream->snapshot();
}

std::vector<stream_record> engine::list_streams() const {
  std::shared_lock lock(streams_mu_);
  std::vector<stream_record> out;
  out.reserve(streams_.size());
  for (const auto& [name, stream] : streams_) {
    std::shared_lock topology(stream->mu);
    out.push_back(stream->record);
  }
  return out;
}

outcome<void> engine::change_retention(const std::string& name, int hours,
                                       retention_change change) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_active(name));
  const auto direction = change == retention_change::increase
                             ? kinesis::retention_direction::increase
                             : kinesis::retention_direction::decrease;
  if (auto refused =
          kinesis::check_retention_change(direction, hours, name, stream->record.retention_hours)) {
    return to_failure(std::move(*refused));
  }
  auto updated = stream->record;
  updated.retention_hours = hours;
  return store_record(*stream, updated, "changing retention");
}

outcome<void> engine::add_tags(const std::string& name,
                               const std::map<std::string, std::string>& tags) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_or_fail(name));
  auto merged = stream->record.tags;
  for (const auto& [k, v] : tags) merged[k] = v;
  if (merged.size() > kinesis::tags_per_stream) {
    return to_failure(kinesis::too_many_tags(name, options_.account_id));
  }
  if (auto r = catalog_->put_tags(name, tags); !r)
    return internal_failure("adding tags", r.error());
  std::unique_lock lock(stream->mu);
  stream->record.tags = std::move(merged);
  return {};
}

outcome<void> engine::remove_tags(const std::string& name, const std::vector<std::string>& keys) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_or_fail(name));
  if (auto r = catalog_->remove_tags(name, keys); !r) {
    return internal_failure("removing tags", r.error());
  }
  std::unique_lock lock(stream->mu);
  for (const auto& k : keys) stream->record.tags.erase(k);
  return {};
}

outcome<void> engine::split_shard(const std::string& name, shard_index index, uint128 new_start) {
  const std::string shard_id = kinesis::shard_id(index);
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_active(name));
  std::shared_ptr<shard_state> parent;
  {
    std::shared_lock lock(stream->mu);
    parent = stream->find_shard(index);
  }
  if (!parent) return shard_not_found(index, name);
  if (auto refused = check_shard_limit(open_shard_count(), 1)) return *refused;
  if (auto refused = kinesis::check_split(
          {name, options_.account_id}, {shard_id, parent->record.range, parent->record.is_open()},
          new_start)) {
    return to_failure(std::move(*refused));
  }
  const auto plan =
      plan_split(parent->record, new_start, stream->record.next_shard_index, clock_.wall_ms());
  return apply_reshard(*stream, plan);
}

outcome<void> engine::merge_shards(const std::string& name, shard_index index,
                                   shard_index adjacent_index) {
  const std::string shard_id = kinesis::shard_id(index);
  const std::string adjacent_id = kinesis::shard_id(adjacent_index);
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_active(name));
  std::shared_ptr<shard_state> first, second;
  {
    std::shared_lock lock(stream->mu);
    first = stream->find_shard(index);
    second = stream->find_shard(adjacent_index);
  }
  if (!first || !second) return shard_not_found(first ? adjacent_index : index, name);
  if (auto refused = kinesis::check_merge(
          {name, options_.account_id}, {shard_id, first->record.range, first->record.is_open()},
          {adjacent_id, second->record.range, second->record.is_open()})) {
    return to_failure(std::move(*refused));
  }
  const auto plan =
      plan_merge(first->record, second->record, stream->record.next_shard_index, clock_.wall_ms());
  return apply_reshard(*stream, plan);
}

outcome<std::size_t> engine::update_shard_count(const std::string& name, std::size_t target) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_active(name));
  std::vector<shard_record> open;
  {
    std::shared_lock lock(stream->mu);
    for (const auto* s : stream->routing) open.push_back(s->record);
  }
  const std::size_t current = open.size();
  if (auto refused =
          kinesis::check_shard_count(current, target, open_shard_count(), options_.shard_limit)) {
    return to_failure(std::move(*refused));
  }
  if (target == current) return current;
  const auto plan = plan_uniform_scaling(std::move(open), target, stream->record.next_shard_index,
                                         clock_.wall_ms());
  SPATE_TRY_VOID(apply_reshard(*stream, plan));
  return current;
}

outcome<void> engine::update_stream_mode(const std::string& name, stream_mode mode) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, find_active(name));
  if (stream->record.mode == mode) return {};
  if (mode == stream_mode::on_demand &&
      on_demand_stream_count() + 1 > options_.on_demand_stream_limit) {
    return on_demand_limit();
  }
  auto updated = stream->record;
  updated.mode = mode;
  if (options_.update_stream_ms > 0) updated.status = stream_status::updating;
  SPATE_TRY_VOID(store_record(*stream, updated, "updating stream mode"));
  finish_update_later(name, options_.update_stream_ms);
  return {};
}

// Caller holds control_mu_. Under the topology lock (so no append to a closing shard can slip
// in between), reads the closing shards' ending positions, commits the plan to the catalog
// and swaps the in-memory shard table: puts to the stream wait for that one catalog commit.
// The closing logs are not synced first: an acknowledged record is already durable, and a
// power loss that takes unacknowledged records from a parent's tail leaves its log ending
// before its ending position, which readers treat as the end of the shard all the same.
outcome<void> engine::apply_reshard(stream_state& stream, const reshard_plan& plan) {
  // As for a new stream: the children's logs first, then the catalog; a failure removes them.
  std::vector<std::shared_ptr<shard_state>> children;
  for (const auto& shard : plan.new_shards) {
    auto state = open_shard(stream, shard);
    if (!state) {
      discard_shards(children, stream.dir, false);
      return internal_failure("creating shard log", state.error());
    }
    children.push_back(std::move(*state));
  }
  std::unique_lock lock(stream.mu);
  std::vector<metadata::shard_closing> closing;
  for (const auto index : plan.closing) {
    closing.push_back({index, stream.shards[index]->log->next_position()});
  }
  stream_record updated = stream.record;
  updated.next_shard_index += static_cast<shard_index>(plan.new_shards.size());
  if (options_.update_stream_ms > 0) updated.status = stream_status::updating;
  if (auto r = catalog_->reshard(updated, closing, plan.new_shards); !r) {
    lock.unlock();
    discard_shards(children, stream.dir, false);
    return internal_failure("resharding", r.error());
  }
  stream.record = updated;
  for (const auto& c : closing) stream.shards[c.index]->record.ending_position = c.ending_position;
  for (auto& child : children) {
    SPATE_ASSERT(child->record.index == stream.shards.size(), "new shard out of order");
    stream.shards.push_back(std::move(child));
  }
  stream.rebuild_routing();
  lock.unlock();
  // Subscribers of a closed shard read to its end and move on to its children.
  for (const auto& c : closing) stream.shards[c.index]->watchers->notify();
  finish_update_later(stream.record.name, options_.update_stream_ms);
  return {};
}

void engine::discard_shards(std::vector<std::shared_ptr<shard_state>>& made,
                            const std::string& stream_dir, bool whole_stream_dir) {
  for (auto& shard : made) {
    (void)shard->log->close();
    if (!whole_stream_dir) (void)fs_.remove_tree(shard->log->dir());
  }
  made.clear();
  if (whole_stream_dir) (void)fs_.remove_tree(stream_dir);
}

void engine::finish_update_later(const std::string& name, std::int64_t delay_ms) {
  if (delay_ms <= 0) return;
  scheduler_.schedule(delay_ms, [this, name] {
    std::lock_guard control(control_mu_);
    auto s = find(name);
    if (!s || s->record.status != stream_status::updating) return;
    auto updated = s->record;
    updated.status = stream_status::active;
    updated.warm_current_mibs = updated.warm_target_mibs;  // a warm throughput update is done
    (void)store_record(*s, updated, "finishing an update");
  });
}

// --- data plane --------------------------------------------------------------------------

namespace {

// One shard's part of a put: its append and its commit point both have to happen (in either
// order: under fsync=never the commit callback runs inside the append) before the shard's
// records become visible to readers and the put's join hears of it.
struct put_group {
  std::vector<std::size_t> indexes;
  std::atomic<int> arrivals{0};
  storage::position end = 0;  // one past the group's last position; set after the append
  bool durable = false;       // set by the commit callback
};

// Joins the durable callbacks of one put's shard appends into one completion.
struct put_join {
  std::vector<put_result> results;
  std::atomic<std::size_t> pending{0};
  std::uint32_t tag = 0;
  put_callback done;

  void arrive() {
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) done(results, tag);
  }
};

}  // namespace

outcome<void> engine::put(std::string_view name, std::span<const storage::record_input> records,
                          put_callback done) {
  auto stream = find(name);
  if (!stream) return not_found(name);
  std::shared_lock lock(stream->mu);
  const auto status = stream->record.status;
  if (status != stream_status::active && status != stream_status::updating) {
    return not_found(name);
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
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const uint128 key =
        r.explicit_hash_key ? *r.explicit_hash_key : kinesis::partition_key_hash(r.partition_key);
    shard_state* shard = stream->route(key);
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
  const std::int64_t arrival = clock_.wall_ms();
  std::vector<storage::record_input> batch;
  for (auto& [shard, indexes] : groups) {
    batch.clear();
    for (auto i : indexes) batch.push_back(records[i]);
    auto group = std::make_shared<put_group>();
    group->indexes = indexes;
    // The second of (append returned, commit point reached) publishes the records.
    auto shard_ref = stream->shards[shard->record.index];
    auto finish = [join, group, shard_ref] {
      if (group->arrivals.fetch_add(1, std::memory_order_acq_rel) != 1) return;
      if (group->durable) shard_ref->mark_durable(group->end);
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
      for (auto i : indexes) {
        join->results[i].shard = shard->record.index;
        join->results[i].error = internal_failure("appending to " + shard->id, appended.error());
      }
      join->arrive();  // no commit callback follows a failed append
      continue;
    }
    std::uint64_t bytes = 0;
    for (const auto& r : batch) bytes += r.data.size() + r.partition_key.size();
    shard->counters.add(shard_metric::incoming_records, indexes.size());
    shard->counters.add(shard_metric::incoming_bytes, bytes);
    storage::position pos = appended->first;
    for (auto i : indexes) {
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

outcome<std::string> engine::get_shard_iterator(const iterator_request& request) const {
  // AWS names the shard, not the stream, when the stream does not exist.
  auto stream = find(request.stream);
  if (!stream) return shard_not_found(request.shard, request.stream);
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

outcome<storage::position> engine::start_position(std::string_view name, shard_index index,
                                                  const start_request& start) const {
  SPATE_TRY(auto stream, find_or_fail(name));
  return start_in(*stream, name, index, start);
}

outcome<storage::position> engine::start_in(const stream_state& stream, std::string_view name,
                                            shard_index index, const start_request& start) const {
  std::shared_ptr<shard_state> shard;
  {
    std::shared_lock lock(stream.mu);
    shard = stream.find_shard(index);
  }
  if (!shard) return shard_not_found(index, name);
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

outcome<records_page> engine::get_records(std::string_view text, std::size_t limit,
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
                             .max_bytes = max_bytes}));
  if (page.end_of_shard) return page;  // children, no next iterator
  page.next_iterator = encode_shard_iterator(
      key_, {it->stream_name, it->stream_created_ms, it->shard, page.batch.next, now});
  return page;
}

outcome<records_page> engine::read(const shard_read& request) const {
  // An iterator of a deleted (or deleted and created again) stream: AWS names the shard.
  auto stream = find(request.stream_name);
  if (!stream) return shard_not_found(request.shard, request.stream_name);
  records_page page;
  std::shared_ptr<shard_state> shard;
  bool closed = false;
  {
    std::shared_lock lock(stream->mu);
    if (stream->record.created_ms != request.stream_created_ms ||
        request.shard >= stream->shards.size()) {
      return shard_not_found(request.shard, request.stream_name);
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
  if (page.batch.next < visible && !records.empty()) {
    page.millis_behind = std::max<std::int64_t>(0, clock_.wall_ms() - records.back().arrival_ms);
  }
  shard->counters.add(shard_metric::outgoing_records, records.size());
  shard->counters.add(shard_metric::outgoing_bytes, page.batch.bytes);
  shard->counters.set(shard_metric::iterator_age_ms,
                      records.empty() ? 0
                                      : static_cast<std::uint64_t>(std::max<std::int64_t>(
                                            0, clock_.wall_ms() - records.back().arrival_ms)));
  page.end_of_shard = closed && page.batch.next >= shard->log->next_position();
  if (!page.end_of_shard) page.children.clear();
  return page;
}

// --- maintenance -------------------------------------------------------------------------

void engine::apply_retention(std::int64_t now) {
  std::vector<std::shared_ptr<stream_state>> streams;
  {
    std::shared_lock lock(streams_mu_);
    for (const auto& [name, s] : streams_) streams.push_back(s);
  }
  for (const auto& stream : streams) {
    std::shared_lock lock(stream->mu);
    const std::int64_t retention_ms = this->retention_ms(stream->record);
    for (const auto& shard : stream->shards) {
      if (auto r = shard->log->apply_retention(now, retention_ms); !r) {
        log::error("retention on {} failed: {}", shard->log->dir(), r.error().message());
      }
    }
  }
}

}  // namespace spate::engine
