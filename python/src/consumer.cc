// consumer: spate._core.ConsumerCore, the C++ consumer with its batches handed to one Python
// thread.
//
// The C++ consumer calls its handler on each shard's reader thread. Here the handler posts the
// batch to the dispatcher and waits until the Python thread that runs the consumer (its
// run() loop or iteration) has processed it: the batch counts as handled, and is
// checkpointed, only then. Calls to a store written in Python cross the same way. When no
// Python thread will serve any more (stop, exit), the dispatcher closes: waiting batches are
// given back unhandled (batch_abandoned: not checkpointed, read again by the next owner) and
// store calls fail.
#include "bindings.h"
#include "checkpointers.h"
#include "client.h"
#include "records.h"

#include <spate/client/consumer.h>

#include <cstring>
#include <deque>
#include <pybind11/stl.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace spate::python {

using namespace spate::client;

namespace {

// One piece of work for the Python thread: a batch to process or a store call to run.
struct work_item {
  const record_batch* batch = nullptr;
  std::function<void()> call;  // runs with the GIL on the Python thread
  bool finished = false;
  bool abandoned = false;
  std::string failure;  // the Python handler's error, for the C++ consumer's failure
};

class dispatcher {
 public:
  dispatcher() : efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (efd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~dispatcher() { ::close(efd_); }

  // C++ thread: posts `item` and waits until the Python thread finished it or the dispatcher
  // closed. Never takes the GIL.
  void hand_over(work_item& item) {
    std::unique_lock lock(mu);
    if (closed) {
      item.abandoned = true;
      return;
    }
    items.push_back(&item);
    signal();
    cv.notify_all();
    cv.wait(lock, [&] { return item.finished; });
  }

  // With `lock` on mu: gives back the current batch (once its copy into Python ended) and
  // every waiting item, except the store calls when `keep_calls`, which are returned for the
  // caller to run.
  std::vector<work_item*> give_back(std::unique_lock<std::mutex>& lock, bool keep_calls) {
    cv.wait(lock, [&] { return !converting; });
    std::vector<work_item*> calls;
    if (current) current->abandoned = current->finished = true;
    current = nullptr;
    for (auto* item : items) {
      if (item->call && keep_calls) {
        calls.push_back(item);
      } else {
        item->abandoned = item->finished = true;
      }
    }
    items.clear();
    cv.notify_all();
    return calls;
  }

  // No Python thread serves any more: every item, waiting or current, ends abandoned.
  void close() {
    std::unique_lock lock(mu);
    give_back(lock, false);
    closed = true;
  }

  // Python thread: marks the taken batch processed (failure empty) or failed.
  void finish_current(std::string failure) {
    std::lock_guard lock(mu);
    if (!current) return;
    current->failure = std::move(failure);
    current->finished = true;
    current = nullptr;
    cv.notify_all();
  }

  void signal() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(efd_, &one, sizeof one);
  }
  void drain_signal() {
    std::uint64_t v = 0;
    [[maybe_unused]] auto n = ::read(efd_, &v, sizeof v);
  }

  int efd_;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<work_item*> items;
  work_item* current = nullptr;  // the batch the Python thread is processing
  bool converting = false;       // its records are being copied into Python: keep it alive
  bool closed = false;
  bool ended = false;  // the C++ consumer stopped or failed
};

// A store written in Python, reached through the dispatcher.
class python_store final : public checkpointer {
 public:
  python_store(PyObject* store, std::shared_ptr<dispatcher> d) : store_(store), d_(std::move(d)) {}

  outcome<std::vector<shard_lease>> list(const std::string& group) override {
    std::vector<shard_lease> out;
    auto err = run([&] {
      for (auto lease : py::handle(store_).attr("list")(group)) out.push_back(lease_from_py(lease));
    });
    if (err) return *err;
    return out;
  }

  outcome<bool> compare_and_set(const std::string& group, const shard_lease& entry,
                                std::uint64_t expected_version) override {
    bool stored = false;
    auto err = run([&] {
      stored = py::handle(store_)
                   .attr("compare_and_set")(group, lease_to_py(entry), expected_version)
                   .cast<bool>();
    });
    if (err) return *err;
    return stored;
  }

  outcome<void> clear(const std::string& group) override {
    auto err = run([&] { py::handle(store_).attr("clear")(group); });
    if (err) return *err;
    return ok_t{};
  }

 private:
  std::optional<error> run(const std::function<void()>& body) {
    std::optional<error> failure;
    work_item item;
    item.call = [&] {
      try {
        body();
      } catch (py::error_already_set& e) {
        failure = error{error_code::checkpoint_store, e.what()};
        if (!e.matches(PyExc_Exception)) throw;  // KeyboardInterrupt, SystemExit: the caller's
      } catch (const std::exception& e) {
        failure = error{error_code::checkpoint_store, e.what()};
      }
    };
    d_->hand_over(item);
    if (item.abandoned) {
      return error{error_code::checkpoint_store, "the consumer's Python thread is not serving"};
    }
    return failure;
  }

  PyObject* store_;  // borrowed: the consumer_core that made this store keeps it alive
  std::shared_ptr<dispatcher> d_;
};

class consumer_core {
 public:
  consumer_core(client_handle& client, consumer_options options, py::object store)
      : store_(std::move(store)), d_(std::make_shared<dispatcher>()) {
    if (store_.is_none()) {
      options.checkpoints = make_memory_checkpointer();
    } else if (py::isinstance<checkpointer_handle>(store_)) {
      options.checkpoints = store_.cast<checkpointer_handle&>().store;
    } else {
      for (const char* method : {"list", "compare_and_set", "clear"}) {
        if (!py::hasattr(store_, method)) {
          throw py::type_error(std::string("checkpointer has no method ") + method);
        }
      }
      options.checkpoints = std::make_shared<python_store>(store_.ptr(), d_);
    }
    auto d = d_;
    try {
      consumer_ = std::make_unique<consumer>(client.api, std::move(options),
                                             [d](const record_batch& batch) {
                                               work_item item;
                                               item.batch = &batch;
                                               d->hand_over(item);
                                               if (item.abandoned) throw batch_abandoned();
                                               if (!item.failure.empty())
                                                 throw std::runtime_error(item.failure);
                                             });
    } catch (const std::invalid_argument& e) {
      throw py::value_error(e.what());
    }
  }

  ~consumer_core() { stop(); }

  void start() {
    if (stopped_) raise_error(error{error_code::closed, "consumer is closed"});
    if (started_) return;
    started_ = true;
    consumer_->start();
    watcher_ = std::thread([this] {
      auto r = consumer_->wait();
      std::lock_guard lock(d_->mu);
      if (!r) failure_ = r.err();
      d_->ended = true;
      d_->signal();
      d_->cv.notify_all();
    });
  }

  // The next batch as (shard_id, [Record], millis_behind_latest); None when `timeout` passed
  // first or the consumer ended (see ended()). Runs store calls that arrive meanwhile. The
  // previous batch must have been finished (batch_done).
  py::object next_batch(std::optional<double> timeout) {
    using clock = wait_clock;
    const auto deadline = deadline_after(timeout);
    for (;;) {
      work_item* item = nullptr;
      bool over = false;
      {
        py::gil_scoped_release nogil;
        std::unique_lock lock(d_->mu);
        d_->drain_signal();
        const auto slice_end = std::min(deadline, clock::now() + wait_slice);
        d_->cv.wait_until(lock, slice_end,
                          [&] { return !d_->items.empty() || d_->ended || d_->closed; });
        if (!d_->items.empty()) {
          item = d_->items.front();
          d_->items.pop_front();
          if (item->batch) {
            d_->current = item;
            d_->converting = true;  // stop() leaves it alone until its records are copied
          }
        } else if (d_->ended || d_->closed) {
          over = true;
        }
      }
      if (over) return py::none();
      if (item && item->call) {
        run_call(*item);
        continue;
      }
      if (item) {
        py::object out;
        try {
          const auto& b = *item->batch;
          const py::str shard(b.shard_id);
          out = py::make_tuple(shard, make_records(shard, b.records), b.millis_behind_latest);
        } catch (...) {
          end_conversion();
          throw;
        }
        end_conversion();
        return out;
      }
      if (clock::now() >= deadline) return py::none();
      check_signals();
    }
  }

  void batch_done(std::optional<std::string> failure) { d_->finish_current(failure.value_or("")); }

  bool ended() const {
    std::lock_guard lock(d_->mu);
    return d_->ended || d_->closed;
  }

  // The failure that ended the consumer (a spate.Error), or None.
  py::object failure() const {
    std::optional<error> f;
    {
      std::lock_guard lock(d_->mu);
      f = failure_;
    }
    if (!f) return py::none();
    return make_exception(*f);
  }

  // Stops the consumer and writes its final checkpoints. The Python thread keeps running store
  // calls while the C++ side stops (they may be final checkpoint writes); batches still
  // waiting are given back unhandled. Idempotent.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    bool stopped = false;  // guarded by d_->mu
    std::thread stopper([this, &stopped] {
      consumer_->stop();
      std::lock_guard lock(d_->mu);
      stopped = true;
      d_->cv.notify_all();
    });
    std::exception_ptr interrupted;
#if PY_VERSION_HEX >= 0x030D0000
    const bool can_run_python = !Py_IsFinalizing();
#else
    const bool can_run_python = !_Py_IsFinalizing();
#endif
    for (;;) {
      std::vector<work_item*> calls;
      {
        py::gil_scoped_release nogil;
        std::unique_lock lock(d_->mu);
        d_->cv.wait_for(lock, wait_slice, [&] { return stopped || !d_->items.empty(); });
        calls = d_->give_back(lock, can_run_python);
        if (calls.empty() && stopped) break;
      }
      for (auto* item : calls) {
        try {
          run_call(*item);
        } catch (...) {  // raised again once the consumer has stopped
          if (!interrupted) interrupted = std::current_exception();
        }
      }
    }
    {
      py::gil_scoped_release nogil;
      stopper.join();
      d_->close();
      if (watcher_.joinable()) watcher_.join();
    }
    if (interrupted) std::rethrow_exception(interrupted);
  }

  py::dict stats() const {
    auto s = consumer_->stats();
    py::dict d;
    d["records"] = s.records;
    d["batches"] = s.batches;
    d["checkpoints"] = s.checkpoints;
    d["shards_finished"] = s.shards_finished;
    d["leases_taken"] = s.leases_taken;
    d["leases_lost"] = s.leases_lost;
    d["owned_shards"] = s.owned_shards;
    return d;
  }

  std::string worker_id() const {
    return consumer_->worker_id();
  }
  int fileno() const {
    return d_->efd_;
  }

 private:
  // Runs a store call on this (Python) thread and hands its item back, also when the call
  // raised something that is not an Exception (KeyboardInterrupt): that propagates.
  void run_call(work_item& item) {
    try {
      item.call();
    } catch (...) {
      std::lock_guard lock(d_->mu);
      item.abandoned = item.finished = true;
      d_->cv.notify_all();
      throw;
    }
    std::lock_guard lock(d_->mu);
    item.finished = true;
    d_->cv.notify_all();
  }

  void end_conversion() {
    py::gil_scoped_release nogil;
    std::lock_guard lock(d_->mu);
    d_->converting = false;
    d_->cv.notify_all();
  }

  py::object store_;  // keeps a Python store alive for python_store
  std::shared_ptr<dispatcher> d_;
  std::optional<error> failure_;
  bool started_ = false;
  bool stopped_ = false;
  std::thread watcher_;
  std::unique_ptr<consumer> consumer_;  // last: destroyed first
};

start_position position_from_py(py::handle h) {
  if (PyUnicode_Check(h.ptr())) {
    auto text = h.cast<std::string>();
    if (text == "TRIM_HORIZON") return start_position::trim_horizon();
    if (text == "LATEST") return start_position::latest();
    throw py::value_error("initial_position: TRIM_HORIZON, LATEST, or a datetime");
  }
  // a datetime (aware or naive-as-UTC is the Python layer's business): epoch seconds float
  if (PyFloat_Check(h.ptr()) || PyLong_Check(h.ptr())) {
    return start_position::at_timestamp(static_cast<std::int64_t>(h.cast<double>() * 1000.0));
  }
  throw py::type_error("initial_position: TRIM_HORIZON, LATEST, or a datetime");
}

}  // namespace

void bind_consumer(py::module_& m) {
  py::class_<consumer_core>(m, "ConsumerCore")
      .def(
          py::init([](client_handle& client, std::string application,
                      std::optional<std::string> stream_name, std::optional<std::string> stream_arn,
                      std::optional<std::string> worker_id, py::object checkpointer,
                      py::object initial_position, std::optional<std::string> efo_consumer_arn,
                      int max_records_per_call, double idle_poll_interval,
                      std::uint64_t checkpoint_every_records, double checkpoint_interval,
                      double lease_duration, double shard_sync_interval, std::size_t max_leases,
                      double unreachable_timeout) {
            consumer_options o;
            o.application = std::move(application);
            o.stream = {stream_name.value_or(""), stream_arn.value_or("")};
            o.worker_id = worker_id.value_or("");
            o.initial_position = position_from_py(initial_position);
            o.efo_consumer_arn = efo_consumer_arn.value_or("");
            o.max_records_per_call = max_records_per_call;
            o.idle_poll_interval = to_timeout(idle_poll_interval);
            o.checkpoint_every_records = checkpoint_every_records;
            o.checkpoint_interval = to_timeout(checkpoint_interval);
            o.lease_duration = to_timeout(lease_duration);
            o.shard_sync_interval = to_timeout(shard_sync_interval);
            o.max_leases = max_leases;
            o.unreachable_timeout = to_timeout(unreachable_timeout);
            return std::make_unique<consumer_core>(client, std::move(o), std::move(checkpointer));
          }),
          py::arg("client"), py::arg("application"), py::arg("stream_name"), py::arg("stream_arn"),
          py::arg("worker_id"), py::arg("checkpointer"), py::arg("initial_position"),
          py::arg("efo_consumer_arn"), py::arg("max_records_per_call"),
          py::arg("idle_poll_interval"), py::arg("checkpoint_every_records"),
          py::arg("checkpoint_interval"), py::arg("lease_duration"), py::arg("shard_sync_interval"),
          py::arg("max_leases"), py::arg("unreachable_timeout"))
      .def("start", &consumer_core::start)
      .def("next_batch", &consumer_core::next_batch, py::arg("timeout"))
      .def("batch_done", &consumer_core::batch_done, py::arg("failure") = py::none())
      .def("ended", &consumer_core::ended)
      .def("failure", &consumer_core::failure)
      .def("stop", &consumer_core::stop)
      .def("stats", &consumer_core::stats)
      .def_property_readonly("worker_id", &consumer_core::worker_id)
      .def("fileno", &consumer_core::fileno);
}

}  // namespace spate::python
