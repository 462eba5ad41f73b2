// Resharding carried out (resharder.h).
#include "engine/resharder.h"

#include "common/assert.h"
#include "engine/control_context.h"
#include "engine/shard_logs.h"
#include "engine/stream_registry.h"
#include "engine/stream_state.h"
#include "kinesis/identifiers.h"
#include "kinesis/rules.h"

#include <mutex>

namespace spate::engine {

using metadata::shard_index;
using metadata::shard_record;
using metadata::stream_record;
using metadata::stream_status;

outcome<void> resharder::split_shard(const std::string& name, shard_index index,
                                     uint128 new_start) {
  const std::string shard_id = kinesis::shard_id(index);
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  std::shared_ptr<shard_state> parent;
  {
    std::shared_lock lock(stream->mu);
    parent = stream->find_shard(index);
  }
  if (!parent) return control_.streams.shard_not_found(index, name);
  if (auto refused = control_.check_shard_limit(control_.streams.open_shard_count(), 1)) {
    return *refused;
  }
  if (auto refused = kinesis::check_split(
          {name, control_.options.account_id},
          {shard_id, parent->record.range, parent->record.is_open()}, new_start)) {
    return to_failure(std::move(*refused));
  }
  const auto plan = plan_split(parent->record, new_start, stream->record.next_shard_index,
                               control_.time.wall_ms());
  return apply(*stream, plan);
}

outcome<void> resharder::merge_shards(const std::string& name, shard_index index,
                                      shard_index adjacent_index) {
  const std::string shard_id = kinesis::shard_id(index);
  const std::string adjacent_id = kinesis::shard_id(adjacent_index);
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  std::shared_ptr<shard_state> first, second;
  {
    std::shared_lock lock(stream->mu);
    first = stream->find_shard(index);
    second = stream->find_shard(adjacent_index);
  }
  if (!first || !second)
    return control_.streams.shard_not_found(first ? adjacent_index : index, name);
  if (auto refused =
          kinesis::check_merge({name, control_.options.account_id},
                               {shard_id, first->record.range, first->record.is_open()},
                               {adjacent_id, second->record.range, second->record.is_open()})) {
    return to_failure(std::move(*refused));
  }
  const auto plan = plan_merge(first->record, second->record, stream->record.next_shard_index,
                               control_.time.wall_ms());
  return apply(*stream, plan);
}

outcome<std::size_t> resharder::update_shard_count(const std::string& name, std::size_t target) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  std::vector<shard_record> open;
  {
    std::shared_lock lock(stream->mu);
    for (const auto* s : stream->routing) open.push_back(s->record);
  }
  const std::size_t current = open.size();
  if (auto refused = kinesis::check_shard_count(
          current, target, control_.streams.open_shard_count(), control_.options.shard_limit)) {
    return to_failure(std::move(*refused));
  }
  if (target == current) return current;
  const auto plan = plan_uniform_scaling(std::move(open), target, stream->record.next_shard_index,
                                         control_.time.wall_ms());
  SPATE_TRY_VOID(apply(*stream, plan));
  return current;
}

// Caller holds the control mutex. Under the topology lock (so no append to a closing shard can slip
// in between), reads the closing shards' ending positions, commits the plan to the catalog
// and swaps the in-memory shard table: puts to the stream wait for that one catalog commit.
// The closing logs are not synced first: an acknowledged record is already durable, and a
// power loss that takes unacknowledged records from a parent's tail leaves its log ending
// before its ending position, which readers treat as the end of the shard all the same.
outcome<void> resharder::apply(stream_state& stream, const reshard_plan& plan) {
  // As for a new stream: the children's logs first, then the catalog; a failure removes them.
  std::vector<std::shared_ptr<shard_state>> children;
  for (const auto& shard : plan.new_shards) {
    auto state = logs_.open(stream, shard);
    if (!state) {
      logs_.discard(children, stream.dir, false);
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
  if (control_.options.update_stream_ms > 0) updated.status = stream_status::updating;
  if (auto r = control_.catalog->reshard(updated, closing, plan.new_shards); !r) {
    lock.unlock();
    logs_.discard(children, stream.dir, false);
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
  for (const auto& c : closing) stream.shards[c.index]->wake_subscribers();
  control_.activate_later(stream.record.name, stream_status::updating,
                          control_.options.update_stream_ms);
  return {};
}

}  // namespace spate::engine
