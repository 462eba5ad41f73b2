// consumer: one worker of a consumer group - the coordinator that keeps the group's shard
// entries, takes, renews and hands over leases, and the reader thread of each owned shard.
//
// Lease rules (see consumer.h for the contract):
//  - every write to an entry is a compare-and-set on its version, made through the shard's
//    `lease_holder`, so a write that races another worker's fails and is re-read: if the entry
//    still names us as owner (someone only asked for a handover), it is retried; if not, the
//    lease is lost and the reader stops;
//  - an entry is expired for us when its version has not moved for lease_duration of our own
//    steady clock; an owner stops a reader whose lease it could not write for half a
//    lease_duration since the start of its last successful write. It checks every third of a
//    lease_duration, so it stops within 5/6 of one - before anyone can see the lease expire,
//    unless the handler itself holds the reader longer than that;
//  - a handover (pending_owner set) happens in the coordinator: stop and join the reader, then
//    one write that stores the last checkpoint and names the new owner.
#include "client/backoff.h"
#include "client/kpl_aggregation.h"

#include <spate/client/consumer.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace spate::client {
namespace {

using clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string default_worker_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::mt19937_64 rng{std::random_device{}()};
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rng()));
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

const shard_lease* find(const std::vector<shard_lease>& entries, const std::string& shard_id) {
  for (const auto& e : entries) {
    if (e.shard_id == shard_id) return &e;
  }
  return nullptr;
}

// The records a reader hands over: KPL aggregates unpacked, plain records as they are.
std::vector<record> unpack(std::vector<record> records) {
  std::vector<record> out;
  out.reserve(records.size());
  for (auto& r : records) {
    if (r.data.size() >= 4 && static_cast<unsigned char>(r.data[0]) == detail::kpl_magic[0]) {
      if (auto parts = detail::deaggregate(r)) {
        for (auto& p : *parts) out.push_back(std::move(p));
        continue;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

struct consumer::impl {
  // ---- one owned shard: its lease and its reader thread ----
  struct shard_worker {
    std::string shard_id;
    std::string start_checkpoint;   // the checkpoint when the lease was taken
    shard_lease entry;              // our view of the stored entry (version included; write_mu)
    std::mutex write_mu;            // serializes writes of this entry
    clock::time_point last_write_ok{};  // start of the last successful write
    std::string last_sequence;      // last record the handler finished
    std::string continuation;       // SubscribeToShard: where the last event left off
    std::uint64_t since_checkpoint = 0;
    clock::time_point checkpointed_at = clock::now();
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};  // reader exited (end of shard, lost lease or stop)
    std::atomic<bool> lost{false};
    std::mutex sleep_mu;
    std::condition_variable sleep_cv;
    std::thread thread;
  };

  impl(std::shared_ptr<kinesis> api_, consumer_options opts, batch_handler h)
      : api(std::move(api_)), options(std::move(opts)), handler(std::move(h)) {
    if (!api) throw std::invalid_argument("consumer: no client");
    if (!handler) throw std::invalid_argument("consumer: no handler");
    if (options.application.empty()) throw std::invalid_argument("consumer: application is required");
    if (options.stream.stream_name.empty()) throw std::invalid_argument("consumer: stream_name is required");
    if (options.lease_duration.count() < 100 || options.checkpoint_interval.count() <= 0 ||
        options.max_records_per_call < 1 || options.max_records_per_call > 10'000) {
      throw std::invalid_argument("consumer: lease_duration >= 100 ms, checkpoint_interval > 0, "
                                  "max_records_per_call in 1..10000");
    }
    if (!options.checkpoints) options.checkpoints = make_memory_checkpointer();
    if (options.worker_id.empty()) options.worker_id = default_worker_id();
    group = group_key(options.application, options.stream.stream_name);
  }

  ~impl() { stop(); }

  // ---- lifecycle ----

  void start() {
    std::lock_guard lock(mu);
    if (started) return;
    started = true;
    coordinator = std::thread([this] { coordinate(); });
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    wake.notify_all();
    std::lock_guard once(stop_mu);  // a second caller waits for the first to finish
    if (coordinator.joinable()) coordinator.join();
    // Coordinator gone: stop readers, write final checkpoints, free the leases.
    std::map<std::string, std::unique_ptr<shard_worker>> remaining;
    {
      std::lock_guard lock(mu);
      remaining.swap(workers);
    }
    for (auto& [id, w] : remaining) signal_stop(*w);  // all at once, then wait for each
    for (auto& [id, w] : remaining) halt(*w);
    for (auto& [id, w] : remaining) {
      if (!w->lost && w->entry.checkpoint != checkpoint_shard_end) {
        auto r = write(*w, [&](shard_lease& e) {
          if (!w->last_sequence.empty()) e.checkpoint = w->last_sequence;
          e.owner.clear();
          if (e.pending_owner == options.worker_id) e.pending_owner.clear();
        });
        if (r.ok() && *r && !w->last_sequence.empty()) ++checkpoints;
      }
    }
    {
      std::lock_guard lock(mu);
      stopped = true;
    }
    done_cv.notify_all();
  }

  outcome<void> wait() {
    std::unique_lock lock(mu);
    done_cv.wait(lock, [&] { return stopped || failure.has_value(); });
    if (failure) return *failure;
    return ok_t{};
  }

  void fail(error e) {
    {
      std::lock_guard lock(mu);
      if (!failure) failure = std::move(e);
    }
    done_cv.notify_all();
  }

  consumer_stats snapshot() const {
    consumer_stats s;
    s.records = records.load();
    s.batches = batches.load();
    s.checkpoints = checkpoints.load();
    s.shards_finished = shards_finished.load();
    s.leases_taken = leases_taken.load();
    s.leases_lost = leases_lost.load();
    std::lock_guard lock(mu);
    for (const auto& [id, w] : workers) {
      if (!w->done) s.owned_shards.push_back(id);
    }
    return s;
  }

  // ---- writes to one entry ----

  // Applies `change` to our view of the entry and stores it. False when the lease is no longer
  // ours (then `lost` is set); an error when the store failed.
  template <class F>
  outcome<bool> write(shard_worker& w, F&& change) {
    std::lock_guard lock(w.write_mu);
    for (int attempt = 0; attempt < 5; ++attempt) {
      shard_lease next = w.entry;
      change(next);
      next.renewed_ms = wall_ms();
      const auto started_at = clock::now();
      auto stored = options.checkpoints->compare_and_set(group, next, w.entry.version);
      if (!stored.ok()) return stored.err();
      if (*stored) {
        w.entry = std::move(next);
        ++w.entry.version;
        w.last_write_ok = started_at;
        return true;
      }
      auto entries = options.checkpoints->list(group);
      if (!entries.ok()) return entries.err();
      const shard_lease* now = find(*entries, w.entry.shard_id);
      if (!now || now->owner != options.worker_id) {
        w.lost = true;
        return false;
      }
      w.entry = *now;  // someone asked for a handover; keep our ownership and retry
    }
    return false;
  }

  // ---- coordinator ----

  void coordinate() {
    auto renew_every = options.lease_duration / 3;
    clock::time_point next_sync{};
    while (true) {
      {
        std::unique_lock lock(mu);
        if (stopping) return;
      }
      const auto now = clock::now();
      if (now >= next_sync || sync_requested.exchange(false)) {
        sync_shards();
        next_sync = now + options.shard_sync_interval;
      }
      auto entries = options.checkpoints->list(group);
      if (entries.ok()) {
        observe(*entries);
        reap_and_renew(*entries);
        balance(*entries);
      }
      std::unique_lock lock(mu);
      wake.wait_for(lock, renew_every, [&] { return stopping || sync_requested.load() || reaped_pending; });
      reaped_pending = false;
    }
  }

  // Records every shard the stream lists, once; the first sync of a group applies the initial
  // position (LATEST skips the closed shards), later ones start new shards at TRIM_HORIZON.
  void sync_shards() {
    std::vector<shard> shards;
    list_shards_request req;
    req.stream = options.stream;
    for (;;) {
      auto page = api->list_shards(req);
      if (!page.ok()) return;  // try again next time
      for (auto& s : page->shards) shards.push_back(std::move(s));
      if (page->next_token.empty()) break;
      req = {};
      req.next_token = page->next_token;
    }
    auto entries = options.checkpoints->list(group);
    if (!entries.ok()) return;
    const bool first = entries->empty();
    for (const auto& s : shards) {
      if (find(*entries, s.shard_id)) continue;
      shard_lease e;
      e.shard_id = s.shard_id;
      if (!s.parent_shard_id.empty()) e.parent_shard_ids.push_back(s.parent_shard_id);
      if (!s.adjacent_parent_shard_id.empty()) e.parent_shard_ids.push_back(s.adjacent_parent_shard_id);
      if (!first) {
        e.checkpoint = checkpoint_trim_horizon;
      } else if (options.initial_position.kind == start_kind::latest && !s.open()) {
        e.checkpoint = checkpoint_shard_end;
      }
      (void)options.checkpoints->compare_and_set(group, e, 0);
    }
  }

  void add_children(const std::vector<child_shard>& children) {
    for (const auto& c : children) {
      shard_lease e;
      e.shard_id = c.shard_id;
      e.parent_shard_ids = c.parent_shards;
      e.checkpoint = checkpoint_trim_horizon;
      (void)options.checkpoints->compare_and_set(group, e, 0);  // false: already recorded
    }
    sync_requested = true;
    wake.notify_all();
  }

  // Notes when each entry's version last moved, by our clock.
  void observe(const std::vector<shard_lease>& entries) {
    const auto now = clock::now();
    for (const auto& e : entries) {
      auto& seen = observed[e.shard_id];
      if (seen.first != e.version || seen.second == clock::time_point{}) seen = {e.version, now};
    }
  }

  bool expired(const shard_lease& e) const {
    if (e.owner.empty()) return true;
    auto it = observed.find(e.shard_id);
    return it != observed.end() && clock::now() - it->second.second >= options.lease_duration;
  }

  void reap_and_renew(const std::vector<shard_lease>& entries) {
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu);
      for (auto& [id, w] : workers) ids.push_back(id);
    }
    const auto now = clock::now();
    for (const auto& id : ids) {
      shard_worker* w = worker(id);
      if (!w) continue;
      const shard_lease* stored = find(entries, id);
      if (w->done) {
        retire(id);
        continue;
      }
      if (!stored || stored->owner != options.worker_id) {
        w->lost = true;  // taken after expiry: stop without writing
        halt(*w);
        ++leases_lost;
        retire(id);
        continue;
      }
      if (!stored->pending_owner.empty() && stored->pending_owner != options.worker_id) {
        halt(*w);
        auto r = write(*w, [&](shard_lease& e) {
          if (!w->last_sequence.empty()) e.checkpoint = w->last_sequence;
          e.owner = e.pending_owner;
          e.pending_owner.clear();
        });
        if (r.ok() && *r) ++checkpoints;
        ++leases_lost;
        retire(id);
        continue;
      }
      auto r = write(*w, [](shard_lease&) {});
      if ((r.ok() && !*r) || now - w->last_write_ok >= options.lease_duration / 2) {
        w->lost = true;
        halt(*w);
        ++leases_lost;
        retire(id);
      }
    }
  }

  // Takes free, expired or handed-over leases up to the fair share, and asks the most loaded
  // worker for one when it holds two or more more than we do.
  void balance(const std::vector<shard_lease>& entries) {
    std::map<std::string, std::size_t> load;  // live owners -> leases
    std::vector<const shard_lease*> available;
    std::size_t leasable = 0;
    std::set<std::string> finished;
    std::set<std::string> known;
    for (const auto& e : entries) {
      known.insert(e.shard_id);
      if (e.checkpoint == checkpoint_shard_end) finished.insert(e.shard_id);
    }
    for (const auto& e : entries) {
      if (finished.count(e.shard_id)) continue;
      bool parents_done = std::all_of(e.parent_shard_ids.begin(), e.parent_shard_ids.end(), [&](const std::string& p) {
        return finished.count(p) || !known.count(p);  // an unknown parent was trimmed away
      });
      if (!parents_done) continue;
      ++leasable;
      if (e.owner == options.worker_id) {
        ++load[e.owner];
        if (!running(e.shard_id)) available.push_back(&e);  // handed to us, or ours from before
      } else if (!expired(e)) {
        ++load[e.owner];
      } else {
        available.push_back(&e);
      }
    }
    {
      std::lock_guard lock(mu);
      if (failure) return;  // a failed consumer takes nothing more
    }
    load.emplace(options.worker_id, 0);
    const std::size_t target = (leasable + load.size() - 1) / load.size();
    std::size_t mine = owned_count();
    const std::size_t cap = options.max_leases ? options.max_leases : SIZE_MAX;
    for (const shard_lease* e : available) {
      if (e->owner != options.worker_id && (mine >= target || mine >= cap)) continue;
      if (take(*e)) ++mine;
    }
    if (mine >= target || mine >= cap) return;
    auto busiest = std::max_element(load.begin(), load.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    if (busiest->first == options.worker_id || busiest->second < mine + 2) return;
    for (const auto& e : entries) {
      if (e.pending_owner == options.worker_id) return;  // one request at a time
    }
    for (const auto& e : entries) {
      if (e.owner == busiest->first && e.pending_owner.empty() && !finished.count(e.shard_id)) {
        shard_lease ask = e;
        ask.pending_owner = options.worker_id;
        ask.renewed_ms = wall_ms();
        (void)options.checkpoints->compare_and_set(group, ask, e.version);
        return;
      }
    }
  }

  bool take(const shard_lease& stored) {
    retire(stored.shard_id);  // a reader of ours that has just ended
    auto w = std::make_unique<shard_worker>();
    w->shard_id = stored.shard_id;
    w->entry = stored;
    auto r = write(*w, [&](shard_lease& e) {
      e.owner = options.worker_id;
      if (e.pending_owner == options.worker_id) e.pending_owner.clear();
    });
    if (!r.ok() || !*r) return false;
    ++leases_taken;
    w->start_checkpoint = w->entry.checkpoint;
    shard_worker* raw = w.get();
    {
      std::lock_guard lock(mu);
      if (stopping) return false;
      workers[stored.shard_id] = std::move(w);
    }
    raw->thread = std::thread([this, raw] { read_shard(*raw); });
    return true;
  }

  // ---- reader ----

  void read_shard(shard_worker& w) {
    try {
      if (options.on_shard) options.on_shard(w.shard_id, true);
      if (options.efo_consumer_arn.empty()) {
        poll(w);
      } else {
        subscribe(w);
      }
    } catch (const std::exception& ex) {
      fail({"HandlerError", ex.what(), 0});
    } catch (...) {
      fail({"HandlerError", "handler threw a non-standard exception", 0});
    }
    if (options.on_shard) options.on_shard(w.shard_id, false);
    w.done = true;
    {
      std::lock_guard lock(mu);
      reaped_pending = true;
    }
    wake.notify_all();
  }

  start_position first_position(const shard_worker& w) const {
    const std::string& cp = w.start_checkpoint;
    if (cp.empty()) return options.initial_position;
    if (cp == checkpoint_trim_horizon) return start_position::trim_horizon();
    return start_position::after_sequence(cp);
  }

  // Hands one batch to the handler and checkpoints when due. False: stop reading.
  bool deliver(shard_worker& w, std::vector<record> raw, std::int64_t behind) {
    if (!raw.empty()) {
      std::string last = raw.back().sequence_number;
      record_batch batch{w.shard_id, unpack(std::move(raw)), behind};
      handler(batch);
      records += batch.records.size();
      ++batches;
      w.last_sequence = std::move(last);
      w.since_checkpoint += batch.records.size();
    }
    const bool due = w.since_checkpoint >= options.checkpoint_every_records ||
                     (w.since_checkpoint > 0 && clock::now() - w.checkpointed_at >= options.checkpoint_interval);
    if (due) {
      auto r = write(w, [&](shard_lease& e) { e.checkpoint = w.last_sequence; });
      if (r.ok() && !*r) return false;
      if (r.ok()) {
        ++checkpoints;
        w.since_checkpoint = 0;
        w.checkpointed_at = clock::now();
      }
    }
    return !w.stop && !w.lost;
  }

  void end_of_shard(shard_worker& w, const std::vector<child_shard>& children) {
    auto r = write(w, [&](shard_lease& e) {
      e.checkpoint = checkpoint_shard_end;
      e.owner.clear();
      e.pending_owner.clear();
    });
    if (r.ok() && *r) {
      ++checkpoints;
      ++shards_finished;
      add_children(children);
    }
  }

  void pause(shard_worker& w, std::chrono::milliseconds d) {
    std::unique_lock lock(w.sleep_mu);
    w.sleep_cv.wait_for(lock, d, [&] { return w.stop.load(); });
  }

  void poll(shard_worker& w) {
    std::string iterator;
    int failures = 0;
    while (!w.stop && !w.lost) {
      if (iterator.empty()) {
        start_position pos = w.last_sequence.empty() ? first_position(w) : start_position::after_sequence(w.last_sequence);
        auto it = api->get_shard_iterator({options.stream, w.shard_id, pos});
        if (!it.ok()) {
          pause(w, detail::backoff_delay(retry, failures++));
          continue;
        }
        iterator = std::move(*it);
      }
      auto got = api->get_records(iterator, options.max_records_per_call);
      if (!got.ok()) {
        if (got.err().code == "ExpiredIteratorException") iterator.clear();
        pause(w, detail::backoff_delay(retry, failures++));
        continue;
      }
      failures = 0;
      const bool empty = got->records.empty();
      if (!deliver(w, std::move(got->records), got->millis_behind_latest)) return;
      if (got->next_shard_iterator.empty()) {
        end_of_shard(w, got->child_shards);
        return;
      }
      iterator = std::move(got->next_shard_iterator);
      if (empty) pause(w, options.idle_poll_interval);
    }
  }

  void subscribe(shard_worker& w) {
    int failures = 0;
    while (!w.stop && !w.lost) {
      // The continuation is at or past the last record; on an idle shard it is the only mark.
      start_position pos = !w.continuation.empty()     ? start_position::after_sequence(w.continuation)
                           : !w.last_sequence.empty() ? start_position::after_sequence(w.last_sequence)
                                                      : first_position(w);
      bool ended = false;
      std::vector<child_shard> children;
      subscribe_request req{options.efo_consumer_arn, w.shard_id, pos, [&w] { return w.stop || w.lost; }};
      auto r = api->subscribe_to_shard(req, [&](const subscribe_event& ev) {
        std::vector<record> recs = ev.records;
        if (!deliver(w, std::move(recs), ev.millis_behind_latest)) return false;
        w.continuation = ev.continuation_sequence_number;
        if (ev.continuation_sequence_number.empty()) {
          ended = true;
          children = ev.child_shards;
          return false;
        }
        return !w.stop && !w.lost;
      });
      if (ended) {
        end_of_shard(w, children);
        return;
      }
      if (!r.ok()) {
        pause(w, detail::backoff_delay(retry, failures++));
      } else {
        failures = 0;
      }
    }
  }

  // ---- bookkeeping ----

  shard_worker* worker(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = workers.find(id);
    return it == workers.end() ? nullptr : it->second.get();
  }

  bool running(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = workers.find(id);
    return it != workers.end() && !it->second->done;
  }

  std::size_t owned_count() {
    std::lock_guard lock(mu);
    return static_cast<std::size_t>(
        std::count_if(workers.begin(), workers.end(), [](const auto& kv) { return !kv.second->done; }));
  }

  static void signal_stop(shard_worker& w) {
    w.stop = true;
    {
      std::lock_guard lock(w.sleep_mu);
    }
    w.sleep_cv.notify_all();
  }

  static void halt(shard_worker& w) {
    signal_stop(w);
    if (w.thread.joinable()) w.thread.join();
  }

  void retire(const std::string& id) {
    std::unique_ptr<shard_worker> w;
    {
      std::lock_guard lock(mu);
      auto it = workers.find(id);
      if (it == workers.end()) return;
      w = std::move(it->second);
      workers.erase(it);
    }
    halt(*w);
  }

  std::shared_ptr<kinesis> api;
  consumer_options options;
  batch_handler handler;
  std::string group;
  const retry_options retry{};  // reader backoff after failed calls: 25 ms doubling to 2 s

  mutable std::mutex mu;
  std::mutex stop_mu;
  std::condition_variable wake;
  std::condition_variable done_cv;
  std::map<std::string, std::unique_ptr<shard_worker>> workers;
  std::map<std::string, std::pair<std::uint64_t, clock::time_point>> observed;  // coordinator only
  std::atomic<bool> sync_requested{false};
  bool reaped_pending = false;
  bool started = false;
  bool stopping = false;
  bool stopped = false;
  std::optional<error> failure;
  std::thread coordinator;

  std::atomic<std::uint64_t> records{0}, batches{0}, checkpoints{0}, shards_finished{0}, leases_taken{0},
      leases_lost{0};
};

consumer::consumer(std::shared_ptr<kinesis> api, consumer_options options, batch_handler handler)
    : impl_(std::make_unique<impl>(std::move(api), std::move(options), std::move(handler))) {}

consumer::~consumer() { impl_->stop(); }

void consumer::start() { impl_->start(); }
void consumer::stop() { impl_->stop(); }
outcome<void> consumer::wait() { return impl_->wait(); }
const std::string& consumer::worker_id() const { return impl_->options.worker_id; }
consumer_stats consumer::stats() const { return impl_->snapshot(); }

}  // namespace spate::client
