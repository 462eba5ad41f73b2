// errors: C++ errors as spate.errors exceptions, the module's interruptible waits and its pool
// of threads for blocking calls.
#include "bindings.h"

#include <deque>
#include <thread>
#include <vector>

namespace spate::python {

py::object make_exception(const client::error& e) {
  auto errors = py::module_::import("spate.errors");
  return errors.attr("_from_native")(std::string(e.name()), e.message, e.http_status, e.request_id);
}

void raise_error(const client::error& e) {
  py::object exc = make_exception(e);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

std::chrono::milliseconds to_timeout(std::optional<double> seconds) {
  if (!seconds) return std::chrono::milliseconds::max();
  if (*seconds <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(*seconds * 1000.0 + 0.5));
}

wait_clock::time_point deadline_after(std::optional<double> timeout) {
  const auto limit = to_timeout(timeout);
  if (limit == std::chrono::milliseconds::max()) return wait_clock::time_point::max();
  return wait_clock::now() + limit;
}

void check_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

bool wait_until_ready(std::mutex& mu, std::condition_variable& cv,
                      const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const bool unbounded = timeout == std::chrono::milliseconds::max();
  const auto deadline = unbounded ? clock::time_point::max() : clock::now() + timeout;
  for (;;) {
    {
      py::gil_scoped_release nogil;
      std::unique_lock lock(mu);
      const auto slice_end = std::min(deadline, clock::now() + wait_slice);
      if (cv.wait_until(lock, slice_end, ready)) return true;
      if (clock::now() >= deadline) return false;
    }
    check_signals();
  }
}

namespace {

// Threads that run blocking client calls for Python callers. A thread is started when every
// thread is busy (an abandoned call may keep one for up to its request timeout) and ends after
// a minute without work beyond the few kept idle.
class blocking_pool {
 public:
  static blocking_pool& instance() {
    static auto* pool = new blocking_pool();  // never destroyed: threads may outlive exit
    return *pool;
  }

  void post(std::function<void()> work) {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(work));
    if (idle_ == 0) {
      ++threads_;
      std::thread([this] { loop(); }).detach();
    } else {
      cv_.notify_one();
    }
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      const bool got = cv_.wait_for(lock, std::chrono::minutes(1), [&] { return !tasks_.empty(); });
      --idle_;
      if (!got && threads_ > kept_idle) break;
      if (tasks_.empty()) continue;
      auto work = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      work();
      lock.lock();
    }
    --threads_;
  }

  static constexpr int kept_idle = 4;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  int idle_ = 0;
  int threads_ = 0;
};

struct call_state {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

struct abandoned_call {
  std::function<bool()> finished;
  std::function<void()> close;
};

std::mutex abandoned_mu;
std::vector<abandoned_call> abandoned;  // guarded by abandoned_mu

}  // namespace

void remember_abandoned(std::function<bool()> finished, std::function<void()> close) {
  std::lock_guard lock(abandoned_mu);
  std::erase_if(abandoned, [](const abandoned_call& c) { return c.finished(); });
  abandoned.push_back({std::move(finished), std::move(close)});
}

std::size_t end_abandoned_calls(std::chrono::milliseconds limit) {
  py::gil_scoped_release nogil;
  std::vector<abandoned_call> calls;
  {
    std::lock_guard lock(abandoned_mu);
    calls.swap(abandoned);
  }
  for (auto& c : calls) {
    if (c.close && !c.finished()) c.close();
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t running = 0;
  for (auto& c : calls) {
    while (!c.finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!c.finished()) ++running;
  }
  return running;
}

void post_blocking(std::function<void()> work) {
  blocking_pool::instance().post(std::move(work));
}

void run_blocking(std::function<void()> work, std::function<void()> close) {
  auto state = std::make_shared<call_state>();
  post_blocking([state, work = std::move(work)] {
    work();
    std::lock_guard lock(state->mu);
    state->done = true;
    state->cv.notify_all();
  });
  try {
    wait_until_ready(
        state->mu, state->cv, [&] { return state->done; }, std::chrono::milliseconds::max());
  } catch (...) {
    remember_abandoned(
        [state] {
          std::lock_guard lock(state->mu);
          return state->done;
        },
        std::move(close));
    throw;
  }
}

}  // namespace spate::python
