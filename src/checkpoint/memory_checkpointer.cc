// memory_checkpointer: the in-process checkpointer, a map of groups to shard entries under
// one mutex. Nothing survives the object and nothing is shared with other objects or
// processes; it suits tests and single-process consumers that can restart from scratch.
//
// Thread safety: every method may be called from any thread.
#include "checkpoint/parents_field.h"

#include <spate/client/checkpointer.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace spate::client {
namespace {

class memory_checkpointer final : public checkpointer {
 public:
  outcome<std::vector<shard_lease>> list(const std::string& group) override {
    std::lock_guard lock(mutex_);
    std::vector<shard_lease> entries;
    auto group_it = groups_.find(group);
    if (group_it == groups_.end()) return entries;
    entries.reserve(group_it->second.size());
    for (const auto& [shard_id, entry] : group_it->second) entries.push_back(entry);
    return entries;  // std::map keeps shard-id order
  }

  outcome<bool> compare_and_set(const std::string& group, const shard_lease& entry,
                                std::uint64_t expected_version) override {
    if (auto bad = detail::unstorable_parents(entry)) return *bad;
    std::lock_guard lock(mutex_);
    auto& shards = groups_[group];
    auto it = shards.find(entry.shard_id);
    const std::uint64_t stored_version = it == shards.end() ? 0 : it->second.version;
    if (stored_version != expected_version) {
      if (shards.empty()) groups_.erase(group);  // do not leave an empty group behind
      return false;
    }
    shard_lease stored = entry;
    stored.version = expected_version + 1;
    shards.insert_or_assign(entry.shard_id, std::move(stored));
    return true;
  }

  outcome<void> clear(const std::string& group) override {
    std::lock_guard lock(mutex_);
    groups_.erase(group);
    return ok_t{};
  }

 private:
  std::mutex mutex_;
  // group -> shard id -> entry; guarded by mutex_.
  std::map<std::string, std::map<std::string, shard_lease>> groups_;
};

}  // namespace

std::shared_ptr<checkpointer> make_memory_checkpointer() {
  return std::make_shared<memory_checkpointer>();
}

}  // namespace spate::client
