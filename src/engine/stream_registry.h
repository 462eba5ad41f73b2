// stream_registry: the engine's streams by name - the map every lookup goes through, and the
// failures a missing or unusable stream, or a missing shard, is reported with.
//
// Owned by the engine. Threads: any. The map has its own lock (held only for the lookup or the
// change); a stream found stays valid while the caller holds its shared_ptr, even if it is
// removed meanwhile. Only the engine's control plane adds and removes streams.
#pragma once

#include "engine/types.h"

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

struct shard_state;
struct stream_state;

class stream_registry {
 public:
  // `account_id` names the account in the failures' messages.
  explicit stream_registry(std::string account_id) : account_id_(std::move(account_id)) {}

  std::shared_ptr<stream_state> find(std::string_view name) const;
  outcome<std::shared_ptr<stream_state>> find_or_fail(std::string_view name) const;
  // Found and ACTIVE (a control-plane change needs that).
  outcome<std::shared_ptr<stream_state>> find_active(std::string_view name) const;
  // Every stream, in name order, as the map holds them now.
  std::vector<std::shared_ptr<stream_state>> all() const;

  // `stream->record.name` must be free.
  void add(std::shared_ptr<stream_state> stream);
  // Removes `name` and returns it (null if it is not there).
  std::shared_ptr<stream_state> take(std::string_view name);

  // Open shards across all streams, and streams in ON_DEMAND mode (DescribeLimits).
  std::size_t open_shard_count() const;
  std::size_t on_demand_stream_count() const;

  failure not_found(std::string_view name) const;
  failure not_active(const stream_state& stream) const;
  failure shard_not_found(metadata::shard_index shard, std::string_view stream) const;

 private:
  const std::string account_id_;
  mutable std::shared_mutex mu_;  // guards the map, not the streams
  std::map<std::string, std::shared_ptr<stream_state>, std::less<>> streams_;
};

}  // namespace spate::engine
