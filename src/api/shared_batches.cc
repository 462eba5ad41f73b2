// shared_batches: a small FIFO of encoded pages under one mutex. It holds a few dozen entries,
// so a linear search costs less than hashing would.
#include "api/shared_batches.h"

#include <algorithm>

namespace spate::api {

std::int64_t shared_batches::batch::behind_at(std::int64_t now_ms) const {
  if (millis_behind == 0) return 0;
  return millis_behind + std::max<std::int64_t>(0, now_ms - read_at_ms);
}

shared_batches::key shared_batches::key_for(const engine::stream_reader& reader,
                                            const engine::stream_reader::read_start& at,
                                            format form) {
  return {.form = form,
          .stream = reader.stream(),
          .stream_created_ms = reader.stream_created_ms(),
          .shard = at.shard,
          .first = at.from,
          .shard_changes = at.changes,
          .max_records = reader.options().max_records,
          .max_bytes = reader.options().max_bytes};
}

bool shared_batches::sharable(const engine::records_page& page,
                              const engine::stream_reader::read_start& at) {
  return page.shard == at.shard && !page.end_of_shard && !page.batch.records.empty() &&
         page.batch.records.front().pos == at.from;
}

std::shared_ptr<shared_batches::batch> shared_batches::describe(const engine::records_page& page,
                                                                std::int64_t now_ms) {
  auto b = std::make_shared<batch>();
  b->next = page.batch.next;
  b->record_count = page.batch.records.size();
  b->record_bytes = page.batch.bytes;
  b->millis_behind = page.millis_behind;
  b->at_end = page.at_end;
  b->read_at_ms = now_ms;
  return b;
}

std::shared_ptr<const shared_batches::batch> shared_batches::take(
    engine::stream_reader& reader, const engine::stream_reader::read_start& at, format form) {
  auto page = find(key_for(reader, at, form));
  if (page) reader.skip(at, page->next, page->record_count, page->record_bytes, page->at_end);
  return page;
}

void shared_batches::keep(const engine::stream_reader& reader,
                          const engine::stream_reader::read_start& at, format form,
                          std::shared_ptr<const batch> page) {
  keep(key_for(reader, at, form), std::move(page));
}

const shared_batches::entry* shared_batches::lookup(const key& k) const {
  // Newest first: subscribers at the live end ask for what was kept last.
  const auto found = std::find_if(entries_.rbegin(), entries_.rend(),
                                  [&](const entry& e) { return e.k == k; });
  return found == entries_.rend() ? nullptr : &*found;
}

std::shared_ptr<const shared_batches::batch> shared_batches::find(const key& k) {
  std::lock_guard lock(mu_);
  if (const entry* e = lookup(k)) {
    ++hits_;
    return e->page;
  }
  ++misses_;
  return nullptr;
}

void shared_batches::keep(const key& k, std::shared_ptr<const batch> page) {
  const std::size_t size = page->encoded.size() + k.stream.size();
  if (size > max_bytes_ / 4) return;
  std::lock_guard lock(mu_);
  if (lookup(k)) return;  // another reader kept the same page meanwhile
  entries_.emplace_back(k, std::move(page));
  bytes_ += size;
  while (entries_.size() > max_entries_ || bytes_ > max_bytes_) {
    bytes_ -= entries_.front().page->encoded.size() + entries_.front().stream.size();
    entries_.pop_front();
  }
}

std::uint64_t shared_batches::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::uint64_t shared_batches::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace spate::api
