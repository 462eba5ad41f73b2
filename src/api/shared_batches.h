// shared_batches: pages of records shared among push subscribers, read and encoded once. The
// subscribers of a shard wake on the same commit and stand at the same position; the first to
// read from there keeps the page's encoding here, and the others take it without reading the
// log or encoding the records again (a pread, frame checks, base64 and JSON for every record,
// once per subscriber, were most of a fan-out's CPU).
//
// An entry is keyed by everything that fixes what a reader at a position would be given: the
// stream (name and creation time), the shard, the position of the first record, the read's
// limits, and the shard's change count (shard_watch::changes) taken before the read. A reader
// whose shard has not changed since then would read exactly that page, so it finds the entry;
// once the shard has changed (new records), a reader misses and reads for itself: a page taken
// from the cache is never shorter than the reader's own read, and a subscriber sends no more
// messages than it would alone. The key also names the format of the bytes: the WebSocket
// feed's message up to the end of its records, or a SubscribeToShard event's Records list in
// JSON or CBOR, with its CRC-32 (the rest of an event, and the event's checksum, joined to that
// CRC, are each subscriber's own).
//
// At most `max_entries` entries and `max_bytes` bytes are kept, the oldest dropped first;
// pages larger than a quarter of `max_bytes` are not kept.
//
// Thread safety: any thread. Two readers that miss the same key at once both read and encode
// it; the bytes are the same, and the first kept stays.
#pragma once

#include "engine/stream_reader.h"
#include "metadata/catalog.h"
#include "storage/record.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace spate::api {

class shared_batches {
 public:
  enum class format : std::uint8_t { websocket_message, event_records_json, event_records_cbor };

  struct key {
    format form = format::websocket_message;
    std::string_view stream;  // copied when the entry is kept
    std::int64_t stream_created_ms = 0;
    metadata::shard_index shard = 0;
    storage::position first = 0;
    std::uint64_t shard_changes = 0;
    std::size_t max_records = 0;
    std::size_t max_bytes = 0;
    friend bool operator==(const key&, const key&) = default;
  };

  struct batch {
    // The page in the key's format: the WebSocket message up to the end of its records, or an
    // event's Records list.
    std::string encoded;
    std::uint32_t encoded_crc = 0;  // events only: event_stream::crc32(encoded)
    storage::position next = 0;     // where its reader goes on
    std::size_t record_count = 0;   // records in it
    std::size_t record_bytes = 0;   // their partition key and data bytes
    std::int64_t millis_behind = 0; // of the read that made it
    bool at_end = false;            // that read reached the shard's committed end
    std::int64_t read_at_ms = 0;    // wall clock of that read

    // How far behind a reader that takes the page at `now_ms` is: behind then means further
    // behind now (the records it was behind by are older).
    std::int64_t behind_at(std::int64_t now_ms) const;
  };

  // Whether `page`, which a reader read from `at`, is what any reader standing at `at` would
  // read: from that very position, of that shard, and not the end of the shard (a page that
  // ends its shard carries this reader's own end).
  static bool sharable(const engine::records_page& page,
                       const engine::stream_reader::read_start& at);
  // An entry for `page`, read at `now_ms`, with everything but its bytes (`encoded`).
  static std::shared_ptr<batch> describe(const engine::records_page& page, std::int64_t now_ms);

  explicit shared_batches(std::size_t max_entries = 64, std::size_t max_bytes = 8u << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The page kept for `k`, or null.
  std::shared_ptr<const batch> find(const key& k);
  // The page kept for what `reader` would read from `at` (its next_read()) in `form`, with the
  // reader moved past it as if it had read it; null, and the reader untouched, if none is kept.
  std::shared_ptr<const batch> take(engine::stream_reader& reader,
                                    const engine::stream_reader::read_start& at, format form);
  // Keeps `page` for `k` if it fits and no page is kept for `k` yet.
  void keep(const key& k, std::shared_ptr<const batch> page);
  // Keeps `page`, which `reader` read from `at` (sharable), for the readers that will stand
  // there, in `form`: take()'s counterpart.
  void keep(const engine::stream_reader& reader, const engine::stream_reader::read_start& at,
            format form, std::shared_ptr<const batch> page);

  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  // Kept in place from emplace_back to pop_front (a deque moves no other element), so k.stream
  // can view the entry's own copy of the name.
  struct entry {
    entry(const key& kept, std::shared_ptr<const batch> p)
        : stream(kept.stream), k(kept), page(std::move(p)) {
      k.stream = stream;
    }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;
    std::string stream;
    key k;
    std::shared_ptr<const batch> page;
  };
  // The key of what `reader` would read from `at` (its next_read()), in `form`.
  static key key_for(const engine::stream_reader& reader,
                     const engine::stream_reader::read_start& at, format form);
  const entry* lookup(const key& k) const;  // under mu_

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<entry> entries_;  // oldest first
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace spate::api
