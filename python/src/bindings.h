// bindings: what the parts of the extension module spate._core share - how a C++ error
// becomes a Python exception, how a Python thread waits for C++ work without holding the GIL
// and without missing Ctrl-C, and each part's bind_* entry point.
//
// Threading rules of the whole module:
//  - C++ threads (producer senders, consumer readers, the blocking-call pool) never touch a
//    Python object and never take the GIL; they hand results over through queues guarded by
//    plain mutexes;
//  - a Python thread never takes the GIL while it holds one of those mutexes, so the two kinds
//    of lock cannot deadlock;
//  - every wait of a Python thread is cut into slices of at most `wait_slice`, between which
//    it takes the GIL back and runs PyErr_CheckSignals(): Ctrl-C interrupts it within a slice.
#pragma once

#include <spate/client/error.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pybind11/pybind11.h>

namespace spate::python {

namespace py = pybind11;

inline constexpr std::chrono::milliseconds wait_slice{100};

// The spate.errors exception for `e` (an instance of the subclass its code names).
py::object make_exception(const client::error& e);
// Raises make_exception(e) in Python: throws py::error_already_set.
[[noreturn]] void raise_error(const client::error& e);

// `timeout` in seconds from Python (None: no bound), as the C++ side's milliseconds::max().
std::chrono::milliseconds to_timeout(std::optional<double> seconds);

using wait_clock = std::chrono::steady_clock;
// When a wait of `timeout` seconds from Python (None: no bound) started now ends.
wait_clock::time_point deadline_after(std::optional<double> timeout);

// Raises KeyboardInterrupt (or whatever a signal handler raised) if a signal arrived. GIL held.
void check_signals();

// Waits, with the GIL released, until `ready()` (evaluated under `mu`) or `timeout` passed;
// checks for signals between slices. Call with the GIL held and `mu` not held. True if ready.
bool wait_until_ready(std::mutex& mu, std::condition_variable& cv,
                      const std::function<bool()>& ready, std::chrono::milliseconds timeout);

// Starts `work` on a thread of the module's blocking-call pool and returns at once. `work`
// must not touch Python objects.
void post_blocking(std::function<void()> work);

// Runs `work` on a thread of the module's blocking-call pool and waits for it interruptibly:
// on Ctrl-C the Python caller gets KeyboardInterrupt at once and the call finishes unobserved
// in the background, as an abandoned call (below) that `close` can end. Call with the GIL
// held; neither `work` nor `close` may touch Python objects.
void run_blocking(std::function<void()> work, std::function<void()> close = nullptr);

// run_blocking() for a call with a result: `call()` runs on the pool and its result is
// returned here. `call` owns what it uses (captures by value): after a Ctrl-C it outlives
// this frame.
template <class Call>
auto call_blocking(Call call, std::function<void()> close = nullptr) -> decltype(call()) {
  auto slot = std::make_shared<std::optional<decltype(call())>>();
  run_blocking([slot, call = std::move(call)] { slot->emplace(call()); }, std::move(close));
  return std::move(**slot);
}

// Abandoned calls: work a Ctrl-C left running on the pool. Each is remembered with `finished`
// (whether it is over; thread-safe) and `close` (ends it early; may be null), until the
// interpreter exits: its exit hook calls end_abandoned_calls() first, so no call is still
// inside the client library (OpenSSL, the allocator) while the process tears down.
void remember_abandoned(std::function<bool()> finished, std::function<void()> close);
// Closes every abandoned call still running and waits for them, up to `limit`. Returns how
// many were still running at the limit. Call with the GIL held.
std::size_t end_abandoned_calls(std::chrono::milliseconds limit);

template <class T>
T unwrap(client::outcome<T>&& o) {
  if (!o) raise_error(o.err());
  return std::move(o).value();
}
inline void unwrap(const client::outcome<void>& o) {
  if (!o) raise_error(o.err());
}

void bind_records(py::module_& m);
void bind_client(py::module_& m);
void bind_checkpointers(py::module_& m);
void bind_producer(py::module_& m);
void bind_consumer(py::module_& m);

}  // namespace spate::python
