// The map of streams and the failures naming what is missing.
#include "engine/stream_registry.h"

#include "engine/stream_state.h"
#include "kinesis/errors.h"
#include "kinesis/identifiers.h"

#include <mutex>

namespace spate::engine {

std::shared_ptr<stream_state> stream_registry::find(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

outcome<std::shared_ptr<stream_state>> stream_registry::find_or_fail(std::string_view name) const {
  auto stream = find(name);
  if (!stream) return not_found(name);
  return stream;
}

outcome<std::shared_ptr<stream_state>> stream_registry::find_active(std::string_view name) const {
  auto stream = find(name);
  if (!stream) return not_found(name);
  std::shared_lock lock(stream->mu);
  if (stream->record.status != metadata::stream_status::active) return not_active(*stream);
  return stream;
}

std::vector<std::shared_ptr<stream_state>> stream_registry::all() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<stream_state>> out;
  out.reserve(streams_.size());
  for (const auto& [name, stream] : streams_) out.push_back(stream);
  return out;
}

void stream_registry::add(std::shared_ptr<stream_state> stream) {
  std::unique_lock lock(mu_);
  auto name = stream->record.name;
  streams_.emplace(std::move(name), std::move(stream));
}

std::shared_ptr<stream_state> stream_registry::take(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = streams_.find(name);
  if (it == streams_.end()) return nullptr;
  auto stream = std::move(it->second);
  streams_.erase(it);
  return stream;
}

std::size_t stream_registry::open_shard_count() const {
  std::size_t count = 0;
  for (const auto& stream : all()) {
    std::shared_lock topology(stream->mu);
    count += stream->routing.size();
  }
  return count;
}

std::size_t stream_registry::on_demand_stream_count() const {
  std::size_t count = 0;
  for (const auto& stream : all()) {
    std::shared_lock topology(stream->mu);
    count += stream->record.mode == metadata::stream_mode::on_demand;
  }
  return count;
}

failure stream_registry::not_found(std::string_view name) const {
  return to_failure(kinesis::stream_not_found(name, account_id_));
}

failure stream_registry::not_active(const stream_state& stream) const {
  return to_failure(
      kinesis::stream_not_active(stream.record.name, account_id_, to_string(stream.record.status)));
}

failure stream_registry::shard_not_found(metadata::shard_index shard,
                                         std::string_view stream) const {
  return to_failure(kinesis::shard_not_found(kinesis::shard_id(shard), stream, account_id_));
}

}  // namespace spate::engine
