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
//    one write that stores the last checkpoint and names the new owner. A request is for the
//    owner it was made to: a worker taking a free or expired lease drops it, and a worker
//    that stops withdraws its own (and frees leases handed to it that it never took).
//
// Giving up: the coordinator alone decides. ListShards answering ResourceNotFoundException
// means the stream is gone, and the consumer fails with that error (a reader meeting it only
// asks for an early listing: a trimmed shard gives it too while the stream lives). Every call
// notes whether it reached the service; once none has since the first that could not, for
// unreachable_timeout, the consumer fails with the last connection error.
#include "client/backoff.h"
#include "client/kpl_aggregation.h"
#include "common/thread_name.h"

#include <spate/client/consumer.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace spate::client {
namespace {

using clock = std::chrono::steady_clock;

// The errors the client makes up when no answer came back at all.
bool unreachable(const error& e) {
  return e.code == error_code::connection || e.code == error_code::timeout;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
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
    if (detail::has_kpl_magic(r.data)) {
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
    std::string start_checkpoint;  // the checkpoint when the lease was taken
    bool first_owner = false;      // no worker held this lease before
    shard_lease entry;             // our view of the stored entry (version included; write_mu)
    std::mutex write_mu;           // serializes writes of this entry
    std::atomic<clock::rep> last_write_ok{0};  // start of the last successful write (ticks)
    std::string last_sequence;                 // last record the handler finished
    std::string continuation;                  // SubscribeToShard: where the last event left off
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
    if (options.application.empty())
      throw std::invalid_argument("consumer: application is required");
    if (options.stream.stream_name.empty())
      throw std::invalid_argument("consumer: stream_name is required");
    if (options.lease_duration.count() < 100 || options.checkpoint_interval.count() <= 0 ||
        options.max_records_per_call < 1 || options.max_records_per_call > 10'000) {
      throw std::invalid_argument(
          "consumer: lease_duration >= 100 ms, checkpoint_interval > 0, "
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
    if (stopping) return;
    failing_since = 0;
    coordinator = std::thread([this] {
      name_this_thread("spate-consumer");
      coordinate();
    });
  }

  // Stops taking leases and tells every reader to stop; joins nothing, so it is safe from a
  // handler or the on_shard callback.
  void request_stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      for (auto& [id, w] : workers) signal_stop(*w);
    }
    wake.notify_all();
    done_cv.notify_all();
  }

  // The consumer whose coordinator or reader runs on this thread, if any (a reader may already
  // be out of `workers` while stop() joins it, so the map cannot tell).
  static inline thread_local const impl* running_on_thread = nullptr;

  bool on_own_thread() const { return running_on_thread == this; }

  void stop() {
    if (on_own_thread()) {
      request_stop();  // the owner's stop() (or the destructor) finishes the job
      return;
    }
    request_stop();
    std::lock_guard once(stop_mu);  // a second caller waits for the first to finish
    std::thread coord;
    {
      std::lock_guard lock(mu);
      coord = std::move(coordinator);
    }
    if (coord.joinable()) coord.join();
    // Coordinator gone: stop readers, write final checkpoints, free the leases.
    std::map<std::string, std::unique_ptr<shard_worker>> remaining;
    {
      std::lock_guard lock(mu);
      remaining.swap(workers);
    }
    for (auto& [id, w] : remaining) signal_stop(*w);  // all at once, then wait for each
    for (auto& [id, w] : remaining) halt(*w);
    for (auto& [id, w] : remaining) give_back(*w);
    withdraw(remaining);
    {
      std::lock_guard lock(mu);
      stopped = true;
    }
    done_cv.notify_all();
  }

  // At stop, after our own leases are settled: withdraws our handover requests and frees the
  // leases handed to us that we never took, so no owner hands a shard to us, and no shard
  // waits for us, once we are gone. Best effort (the store may be unreachable); a request
  // racing the owner's handover is retried on the entry as it then stands.
  void withdraw(const std::map<std::string, std::unique_ptr<shard_worker>>& settled) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto entries = options.checkpoints->list(group);
      if (!entries.ok()) return;
      bool conflict = false;
      for (const auto& e : *entries) {
        if (settled.count(e.shard_id)) continue;
        const bool asked = e.pending_owner == options.worker_id;
        const bool handed = e.owner == options.worker_id;
        if (!asked && !handed) continue;
        auto r = cas_entry(e, [&](shard_lease& next) {
          if (asked) next.pending_owner.clear();
          if (handed) next.owner.clear();
        });
        if (!r.ok()) return;
        conflict = conflict || !*r;
      }
      if (!conflict) return;
    }
  }

  outcome<void> wait() {
    std::unique_lock lock(mu);
    done_cv.wait(lock, [&] { return stopping || stopped || failure.has_value(); });
    if (failure) return *failure;
    return ok_t{};
  }

  // A handler failed: the consumer stops (readers signalled, no new leases) with this reason.
  void fail(error e) {
    {
      std::lock_guard lock(mu);
      if (!failure) failure = std::move(e);
    }
    request_stop();
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

  // One compare-and-set: `expected` with `change` applied and renewed_ms stamped, stored if the
  // entry is still at expected's version. The entry as now stored (its new version included);
  // nullopt when another write came first; an error when the store failed.
  template <class F>
  outcome<std::optional<shard_lease>> cas_entry(const shard_lease& expected, F&& change) {
    shard_lease next = expected;
    change(next);
    next.renewed_ms = wall_ms();
    auto stored = options.checkpoints->compare_and_set(group, next, expected.version);
    if (!stored.ok()) return stored.err();
    if (!*stored) return std::optional<shard_lease>();
    ++next.version;
    return std::optional<shard_lease>(std::move(next));
  }

  // Applies `change` to our view of the entry and stores it. False when the lease is no longer
  // ours (then `lost` is set); an error when the store failed.
  template <class F>
  outcome<bool> write(shard_worker& w, F&& change) {
    std::lock_guard lock(w.write_mu);
    for (int attempt = 0; attempt < 5; ++attempt) {
      const auto started_at = clock::now();
      auto stored = cas_entry(w.entry, change);
      if (!stored.ok()) return stored.err();
      if (*stored) {
        w.entry = std::move(**stored);
        w.last_write_ok = started_at.time_since_epoch().count();
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
    running_on_thread = this;
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
      give_up_if_unreachable();
      auto entries = options.checkpoints->list(group);
      if (entries.ok()) {
        observe(*entries);
        reap_and_renew(*entries);
        balance(*entries);
      }
      std::unique_lock lock(mu);
      wake.wait_for(lock, renew_every,
                    [&] { return stopping || sync_requested.load() || reaped_pending; });
      reaped_pending = false;
    }
  }

  // Where a shard the group has not seen yet starts. A child of a shard the group already
  // tracks starts at TRIM_HORIZON (its parent's reader got everything before it). Otherwise the
  // initial position, written down with a fixed point: LATEST becomes "LATEST:<now>" - its
  // first owner reads from the server's LATEST, a later owner of a lease that never saw a
  // record from that time, so nothing that arrived in between is skipped - and a closed shard
  // under LATEST is already finished.
  std::string first_checkpoint(const shard& s, const std::vector<shard_lease>& known) const {
    for (const auto& parent : {s.parent_shard_id, s.adjacent_parent_shard_id}) {
      if (!parent.empty() && find(known, parent)) return checkpoint_trim_horizon;
    }
    switch (options.initial_position.type) {
      case shard_iterator_type::latest:
        // The next millisecond: records of this one may predate the group's first look.
        return s.open() ? checkpoint_latest_prefix + std::to_string(wall_ms() + 1)
                        : checkpoint_shard_end;
      case shard_iterator_type::at_timestamp:
        return checkpoint_at_timestamp_prefix +
               std::to_string(options.initial_position.timestamp_ms);
      default:
        return checkpoint_trim_horizon;
    }
  }

  // Records every shard the stream lists, once (compare-and-set on "no entry", so concurrent
  // workers agree on one start per shard).
  void sync_shards() {
    std::vector<shard> shards;
    list_shards_request req;
    req.stream = options.stream;
    for (;;) {
      auto page = api->list_shards(req);
      note(page);
      if (!page.ok()) {
        if (page.err().code == error_code::resource_not_found)
          fail(page.err());  // the stream is gone
        return;              // otherwise try again next time
      }
      for (auto& s : page->shards) shards.push_back(std::move(s));
      if (page->next_token.empty()) break;
      req = {};
      req.next_token = page->next_token;
    }
    auto entries = options.checkpoints->list(group);
    if (!entries.ok()) return;
    for (const auto& s : shards) {
      if (find(*entries, s.shard_id)) continue;
      shard_lease e;
      e.shard_id = s.shard_id;
      if (!s.parent_shard_id.empty()) e.parent_shard_ids.push_back(s.parent_shard_id);
      if (!s.adjacent_parent_shard_id.empty())
        e.parent_shard_ids.push_back(s.adjacent_parent_shard_id);
      e.checkpoint = first_checkpoint(s, *entries);
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
    request_sync();
  }

  // Has the coordinator list the shards at its next turn instead of at the next interval.
  void request_sync() {
    {
      std::lock_guard lock(mu);
      sync_requested = true;
    }
    wake.notify_all();
  }

  // ---- reachability ----

  // Notes whether a call reached the service: any answer, an error answer included, does.
  template <class T>
  void note(const outcome<T>& r) {
    if (r.ok() || !unreachable(r.err())) {
      failing_since = 0;
      return;
    }
    clock::rep none = 0;
    failing_since.compare_exchange_strong(none, clock::now().time_since_epoch().count());
    std::lock_guard lock(mu);
    last_unreachable = r.err();
  }

  // Fails the consumer once no call has reached the service for unreachable_timeout.
  void give_up_if_unreachable() {
    if (options.unreachable_timeout.count() <= 0) return;
    const clock::rep since = failing_since.load();
    if (since == 0) return;
    const auto failing_for = clock::now() - clock::time_point(clock::duration(since));
    if (failing_for < options.unreachable_timeout) return;
    error e;
    {
      std::lock_guard lock(mu);
      if (!last_unreachable) return;
      e = *last_unreachable;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(failing_for).count();
    e.message += " (no answer from the endpoint for " + std::to_string(ms) + " ms)";
    fail(std::move(e));
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

  // Renews every lease we hold and settles the ones we must give up. Stops are signalled to
  // all such readers first and the joins (which wait for a handler to return) come after every
  // renewal, so one slow handler never delays another shard's renewal.
  void reap_and_renew(const std::vector<shard_lease>& entries) {
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu);
      for (auto& [id, w] : workers) ids.push_back(id);
    }
    std::vector<std::string> ended, lost, handed_over;
    for (const auto& id : ids) {
      shard_worker* w = worker(id);
      if (!w) continue;
      const shard_lease* stored = find(entries, id);
      if (w->done) {
        ended.push_back(id);
      } else if (!stored || stored->owner != options.worker_id) {
        w->lost = true;  // taken after it expired for others: stop without writing
        signal_stop(*w);
        lost.push_back(id);
      } else if (!stored->pending_owner.empty() && stored->pending_owner != options.worker_id) {
        signal_stop(*w);
        handed_over.push_back(id);
      } else {
        auto r = write(*w, [](shard_lease&) {});
        if ((r.ok() && !*r) || !lease_fresh(*w)) {
          w->lost = true;
          signal_stop(*w);
          lost.push_back(id);
        }
      }
    }
    for (const auto& id : handed_over) {
      shard_worker* w = worker(id);
      halt(*w);
      write_last_checkpoint(*w, [](shard_lease& e) {
        e.owner = e.pending_owner;
        e.pending_owner.clear();
      });
      ++leases_lost;
      retire(id);
    }
    for (const auto& id : lost) {
      ++leases_lost;
      retire(id);
    }
    for (const auto& id : ended) {
      if (shard_worker* w = worker(id)) {
        if (w->lost) ++leases_lost;
        // A reader that ended short of its shard's end (its batch given back unhandled, or
        // its handler failed) leaves what it handled checkpointed and the lease free; stop()
        // no longer sees it once it is retired.
        halt(*w);
        give_back(*w);
      }
      retire(id);
    }
  }

  // The last checkpoint of a reader that has stopped (joined): the last record it handled,
  // with `release` changing the owner. Nothing when its shard is finished (the end is
  // written) or its lease was lost (another owner may be writing).
  template <class F>
  void write_last_checkpoint(shard_worker& w, F&& release) {
    if (w.lost || w.entry.checkpoint == checkpoint_shard_end) return;
    auto r = write(w, [&](shard_lease& e) {
      if (!w.last_sequence.empty()) e.checkpoint = w.last_sequence;
      release(e);
    });
    if (r.ok() && *r && !w.last_sequence.empty()) ++checkpoints;
  }

  // Frees a stopped reader's lease, its last checkpoint written.
  void give_back(shard_worker& w) {
    write_last_checkpoint(w, [this](shard_lease& e) {
      e.owner.clear();
      if (e.pending_owner == options.worker_id) e.pending_owner.clear();
    });
  }

  // Whether the lease was written recently enough to keep processing: half a lease_duration
  // since the start of the last successful write (see the header comment).
  bool lease_fresh(const shard_worker& w) const {
    const auto last = clock::time_point(clock::duration(w.last_write_ok.load()));
    return clock::now() - last < options.lease_duration / 2;
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
      bool parents_done = std::all_of(
          e.parent_shard_ids.begin(), e.parent_shard_ids.end(), [&](const std::string& p) {
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
    auto busiest = std::max_element(
        load.begin(), load.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    if (busiest->first == options.worker_id || busiest->second < mine + 2) return;
    for (const auto& e : entries) {
      if (e.pending_owner == options.worker_id) return;  // one request at a time
    }
    for (const auto& e : entries) {
      if (e.owner == busiest->first && e.pending_owner.empty() && !finished.count(e.shard_id)) {
        (void)cas_entry(e, [&](shard_lease& ask) { ask.pending_owner = options.worker_id; });
        return;
      }
    }
  }

  bool take(const shard_lease& stored) {
    retire(stored.shard_id);  // a reader of ours that has just ended
    auto w = std::make_unique<shard_worker>();
    w->shard_id = stored.shard_id;
    w->entry = stored;
    // A handover request is addressed to the owner. Taking a free or expired lease voids one
    // left for a previous owner (its requester may be gone; it asks again if it still needs a
    // shard): kept, it would make us hand the shard to that requester at our first renewal.
    const bool ours_before = stored.owner == options.worker_id;
    auto r = write(*w, [&](shard_lease& e) {
      e.owner = options.worker_id;
      if (!ours_before || e.pending_owner == options.worker_id) e.pending_owner.clear();
    });
    if (!r.ok() || !*r) return false;
    w->start_checkpoint = w->entry.checkpoint;
    w->first_owner = stored.version == 1 && stored.owner.empty();  // as created by the sync
    {
      std::lock_guard lock(mu);
      if (!stopping) {
        ++leases_taken;
        shard_worker* raw = w.get();
        // "spate-rd-" and the shard id's last six digits: a thread's name holds 15 bytes.
        const std::string_view id = stored.shard_id;
        std::string name = "spate-rd-" + std::string(id.substr(id.size() > 6 ? id.size() - 6 : 0));
        raw->thread = std::thread([this, raw, name = std::move(name)] {
          name_this_thread(name);
          read_shard(*raw);
        });
        workers[stored.shard_id] = std::move(w);
        return true;
      }
    }
    (void)write(*w, [](shard_lease& e) { e.owner.clear(); });  // stopping: give it straight back
    return false;
  }

  // ---- reader ----

  void read_shard(shard_worker& w) {
    running_on_thread = this;
    try {
      if (options.on_shard) options.on_shard(w.shard_id, true);
      if (options.efo_consumer_arn.empty()) {
        poll(w);
      } else {
        subscribe(w);
      }
    } catch (const batch_abandoned&) {
      // Given back unhandled: the reader stops; no failure, and no checkpoint past the batch.
    } catch (const std::exception& ex) {
      fail({error_code::handler_failed, ex.what()});
    } catch (...) {
      fail({error_code::handler_failed, "handler threw a non-standard exception"});
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
    for (std::string_view prefix : {checkpoint_at_timestamp_prefix, checkpoint_latest_prefix}) {
      if (cp.compare(0, prefix.size(), prefix) != 0) continue;
      if (prefix == checkpoint_latest_prefix && w.first_owner) return start_position::latest();
      return start_position::at_timestamp(std::stoll(cp.substr(prefix.size())));
    }
    return start_position::after_sequence(cp);
  }

  // Hands one batch to the handler and checkpoints when due. False: stop reading.
  bool deliver(shard_worker& w, std::vector<record> raw, std::int64_t behind) {
    if (!lease_fresh(w)) {
      w.lost = true;  // the store has not taken a write for too long: others may take over
      return false;
    }
    if (!raw.empty()) {
      std::string last = raw.back().sequence_number;
      record_batch batch{w.shard_id, unpack(std::move(raw)), behind};
      handler(batch);
      records += batch.records.size();
      ++batches;
      w.last_sequence = std::move(last);
      w.since_checkpoint += batch.records.size();
    }
    const bool due =
        w.since_checkpoint >= options.checkpoint_every_records ||
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
        start_position pos = w.last_sequence.empty()
                                 ? first_position(w)
                                 : start_position::after_sequence(w.last_sequence);
        auto it = api->get_shard_iterator({options.stream, w.shard_id, pos});
        note(it);
        if (!it.ok()) {
          if (it.err().code == error_code::resource_not_found) request_sync();
          pause(w, detail::backoff_delay(retry, failures++));
          continue;
        }
        iterator = std::move(it->shard_iterator);
      }
      auto got = api->get_records({iterator, options.max_records_per_call, ""});
      note(got);
      if (!got.ok()) {
        if (got.err().code == error_code::expired_iterator) iterator.clear();
        if (got.err().code == error_code::resource_not_found) request_sync();
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
      start_position pos = !w.continuation.empty() ? start_position::after_sequence(w.continuation)
                           : !w.last_sequence.empty()
                               ? start_position::after_sequence(w.last_sequence)
                               : first_position(w);
      bool ended = false;
      std::vector<child_shard> children;
      subscribe_to_shard_request req;
      req.consumer_arn = options.efo_consumer_arn;
      req.shard_id = w.shard_id;
      req.starting_position = pos;
      req.cancelled = [this, &w] { return w.stop || w.lost || !lease_fresh(w); };
      req.on_event = [&](const subscribe_to_shard_event& ev) {
        std::vector<record> recs = ev.records;
        if (!deliver(w, std::move(recs), ev.millis_behind_latest)) return false;
        w.continuation = ev.continuation_sequence_number;
        if (ev.continuation_sequence_number.empty()) {
          ended = true;
          children = ev.child_shards;
          return false;
        }
        return !w.stop && !w.lost;
      };
      auto r = api->subscribe_to_shard(req);
      if (ended) {
        end_of_shard(w, children);
        return;
      }
      note(r);
      if (!r.ok()) {
        if (r.err().code == error_code::resource_not_found) request_sync();
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
    return static_cast<std::size_t>(std::count_if(workers.begin(), workers.end(),
                                                  [](const auto& kv) { return !kv.second->done; }));
  }

  static void signal_stop(shard_worker& w) {
    w.stop = true;
    { std::lock_guard lock(w.sleep_mu); }
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

  mutable std::mutex mu;  // guards workers, the flags below and the coordinator thread object
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
  std::optional<error> last_unreachable;     // the last call that got no answer (guarded by mu)
  std::atomic<clock::rep> failing_since{0};  // first unanswered call since an answer; 0: none
  std::thread coordinator;

  std::atomic<std::uint64_t> records{0}, batches{0}, checkpoints{0}, shards_finished{0},
      leases_taken{0}, leases_lost{0};
};

consumer::consumer(std::shared_ptr<kinesis> api, consumer_options options, batch_handler handler)
    : impl_(std::make_unique<impl>(std::move(api), std::move(options), std::move(handler))) {}

consumer::~consumer() {
  impl_->stop();
}

void consumer::start() {
  impl_->start();
}
void consumer::stop() {
  impl_->stop();
}
outcome<void> consumer::wait() {
  return impl_->wait();
}
const std::string& consumer::worker_id() const {
  return impl_->options.worker_id;
}
consumer_stats consumer::stats() const {
  return impl_->snapshot();
}

}  // namespace spate::client
