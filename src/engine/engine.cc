// engine: opening and closing, loading from the catalog, and the stream lifecycle - create,
// delete, describe, list, retention, tags and mode; the rest is delegated to the parts.
#include "engine/engine.h"

#include "common/assert.h"
#include "common/clock.h"
#include "common/log.h"
#include "engine/stream_state.h"
#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"
#include "kinesis/rules.h"
#include "metadata/errc.h"

#include <algorithm>
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

}  // namespace

std::size_t stream_snapshot::open_shard_count() const {
  return static_cast<std::size_t>(
      std::count_if(shards.begin(), shards.end(), [](const auto& s) { return s.is_open(); }));
}

// --- lifecycle ---------------------------------------------------------------------------

namespace {

// The committer's volume sync for rounds of several files (group_committer.h). Without one
// (turned off, or the data directory cannot be opened), each file is synced alone.
std::unique_ptr<storage::volume_sync> volume_sync_for(storage::file_system& fs,
                                                      const engine_options& options) {
  if (options.fsync != storage::fsync_policy::batch || !options.sync_whole_volume) return nullptr;
  auto volume = fs.open_volume_sync(options.data_dir);
  if (!volume) {
    log::warn("cannot sync the file system of {} as a whole ({}): each log file is synced on "
              "its own",
              options.data_dir, volume.error().message());
    return nullptr;
  }
  return std::move(*volume);
}

}  // namespace

engine::engine(const engine_options& options, secret key)
    : options_(options),
      clock_(options.time ? *options.time : system_clock()),
      key_(std::move(key)),
      fs_(options.file_system ? *options.file_system : own_fs_),
      committer_(options.fsync, volume_sync_for(fs_, options)),
      streams_(options.account_id),
      data_(options_, clock_, key_, streams_, committer_),
      claims_(clock_, options.account_id),
      control_(options_, clock_, streams_, scheduler_),
      consumers_(control_),
      settings_(control_, consumers_),
      shard_logs_(options_, fs_, committer_),
      resharder_(control_, shard_logs_),
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
  e->control_.catalog = e->catalog_.get();
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
  for (auto& stream : streams_.all()) {
    std::unique_lock topology(stream->mu);
    for (auto& shard : stream->shards) {
      if (auto r = shard->log->close(); !r) {
        log::error("closing {} failed: {}", shard->log->dir(), r.error().message());
      }
    }
  }
}

result<void> engine::load() {
  SPATE_TRY(auto account, catalog_->get_account_settings());
  settings_.load(std::move(account));
  SPATE_TRY(auto records, catalog_->list_streams());
  std::vector<std::string> finish_deleting;
  for (auto& record : records) {
    auto stream = std::make_shared<stream_state>();
    stream->tag = stream_tag(record.name, record.created_ms);
    stream->dir = options_.data_dir + "/streams/" + stream_dir_name(record);
    SPATE_TRY(auto shards, catalog_->list_shards(record.name));
    for (const auto& shard : shards) {
      SPATE_TRY(auto state, shard_logs_.open(*stream, shard));
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
    streams_.add(std::move(stream));
  }
  SPATE_TRY(auto policies, catalog_->list_policies());
  for (auto& p : policies) {
    auto stream = streams_.find(p.stream);
    if (!stream) continue;
    // A consumer's policy outlives it only if a crash came between the two deletes.
    if (!p.consumer.empty() && !stream->consumers.contains(p.consumer)) continue;
    stream->policies.emplace(std::move(p.arn), std::move(p.policy));
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
    const auto all = streams_.all();
    for (const auto& stream : all) {
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

// --- lookups and messages ----------------------------------------------------------------

// --- control plane -----------------------------------------------------------------------

outcome<void> engine::create_stream(const std::string& name, std::uint32_t shard_count,
                                    stream_mode mode,
                                    const std::map<std::string, std::string>& tags) {
  std::lock_guard control(control_.mu);
  if (streams_.find(name))
    return to_failure(kinesis::stream_already_exists(name, options_.account_id));
  if (mode == stream_mode::on_demand) {
    if (shard_count == 0) shard_count = kinesis::on_demand_initial_shards;
    if (on_demand_stream_count() + 1 > options_.on_demand_stream_limit)
      return control_.on_demand_limit();
  }
  if (auto refused = control_.check_shard_limit(open_shard_count(), shard_count)) return *refused;

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
    auto state = shard_logs_.open(*stream, shard);
    if (!state) {
      shard_logs_.discard(stream->shards, stream->dir, true);
      return internal_failure("creating shard log", state.error());
    }
    stream->shards.push_back(std::move(*state));
  }
  if (auto r = catalog_->create_stream(record, shards); !r) {
    shard_logs_.discard(stream->shards, stream->dir, true);
    return internal_failure("creating stream " + name, r.error());
  }
  stream->rebuild_routing();
  streams_.add(stream);
  if (record.status == stream_status::creating) {
    control_.activate_later(name, stream_status::creating, options_.create_stream_ms);
  }
  return {};
}

outcome<void> engine::delete_stream(const std::string& name, bool enforce_consumer_deletion) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, streams_.find_or_fail(name));
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
  SPATE_TRY_VOID(control_.store_record(*stream, updated, "deleting stream " + name));
  if (creating) {
    std::unique_lock lock(stream->mu);
    stream->deleted_while_creating = true;
  }
  scheduler_.schedule(options_.delete_stream_ms, [this, name] {
    std::lock_guard control(control_.mu);
    remove_stream_now(name);
  });
  return {};
}

// Caller holds the control mutex (or is loading). Drops the stream from the catalog first, so a
// crash between the two steps leaves only files, which the next start removes. The stream is marked
// DELETING first, so a put that found it just before waits for nothing and is refused with
// ResourceNotFound; the logs are closed (a sync each) outside the stream's lock.
void engine::remove_stream_now(const std::string& name) {
  std::shared_ptr<stream_state> stream = streams_.take(name);
  if (!stream) return;
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
  SPATE_TRY(auto stream, streams_.find_or_fail(name));
  std::shared_lock lock(stream->mu);
  return stream->snapshot();
}

std::vector<stream_record> engine::list_streams() const {
  std::vector<stream_record> out;
  for (const auto& stream : streams_.all()) {
    std::shared_lock topology(stream->mu);
    out.push_back(stream->record);
  }
  return out;
}

outcome<void> engine::change_retention(const std::string& name, int hours,
                                       retention_change change) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, streams_.find_active(name));
  const auto direction = change == retention_change::increase
                             ? kinesis::retention_direction::increase
                             : kinesis::retention_direction::decrease;
  if (auto refused =
          kinesis::check_retention_change(direction, hours, name, stream->record.retention_hours)) {
    return to_failure(std::move(*refused));
  }
  auto updated = stream->record;
  updated.retention_hours = hours;
  return control_.store_record(*stream, updated, "changing retention");
}

outcome<void> engine::add_tags(const std::string& name,
                               const std::map<std::string, std::string>& tags) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, streams_.find_or_fail(name));
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
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, streams_.find_or_fail(name));
  if (auto r = catalog_->remove_tags(name, keys); !r) {
    return internal_failure("removing tags", r.error());
  }
  std::unique_lock lock(stream->mu);
  for (const auto& k : keys) stream->record.tags.erase(k);
  return {};
}

outcome<void> engine::update_stream_mode(const std::string& name, stream_mode mode) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, streams_.find_active(name));
  if (stream->record.mode == mode) return {};
  if (mode == stream_mode::on_demand &&
      on_demand_stream_count() + 1 > options_.on_demand_stream_limit) {
    return control_.on_demand_limit();
  }
  auto updated = stream->record;
  updated.mode = mode;
  if (options_.update_stream_ms > 0) updated.status = stream_status::updating;
  SPATE_TRY_VOID(control_.store_record(*stream, updated, "updating stream mode"));
  control_.activate_later(name, stream_status::updating, options_.update_stream_ms);
  return {};
}

// --- maintenance -------------------------------------------------------------------------

void engine::apply_retention(std::int64_t now) {
  for (const auto& stream : streams_.all()) {
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
