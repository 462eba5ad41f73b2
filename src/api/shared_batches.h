// shared_batches: encoded records shared among push subscribers. Subscribers at the live end
// of a shard wake on the same commit and read the same records; the first to encode them keeps
// the bytes here, and the others copy those bytes instead of encoding the records again
// (base64 and JSON for every record, once per subscriber, was most of a fan-out's CPU).
//
// An entry is keyed by everything that fixes its bytes: the stream's tag, the shard and the
// positions [first, next) of its records (one format: the WebSocket feed's JSON). At most
// `max_entries` entries and `max_bytes` bytes are kept, the oldest dropped first; encodings
// larger than a quarter of `max_bytes` are handed out without being kept.
//
// Thread safety: get() may be called from any thread. Two threads that miss the same key at
// once both encode it; the bytes are the same, and the first kept stays.
#pragma once

#include "metadata/catalog.h"
#include "storage/record.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace spate::api {

class shared_batches {
 public:
  struct key {
    std::uint32_t stream_tag = 0;
    metadata::shard_index shard = 0;
    storage::position first = 0;
    storage::position next = 0;
    friend bool operator==(const key&, const key&) = default;
  };

  explicit shared_batches(std::size_t max_entries = 64, std::size_t max_bytes = 8u << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The bytes kept for `k`, or those `encode` appends to an empty string (then kept if they
  // fit).
  std::shared_ptr<const std::string> get(const key& k,
                                         const std::function<void(std::string&)>& encode);

  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<std::pair<key, std::shared_ptr<const std::string>>> entries_;  // oldest first
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace spate::api
