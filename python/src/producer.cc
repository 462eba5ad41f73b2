// producer: spate._core.ProducerCore, the C++ producer with its outcomes collected for Python.
//
// put() hands a record to the C++ producer with a token; the sender threads append each
// record's outcome to `done_` (they never touch Python) and, when it was empty, make the
// eventfd readable, so an asyncio loop learns of outcomes without a thread per call.
// take_completions() (Python's poll/flush, on the caller's thread) takes them all at once.
#include "bindings.h"
#include "client.h"
#include "conversions.h"

#include <spate/client/producer.h>

#include <cstring>
#include <pybind11/stl.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace spate::python {

using namespace spate::client;

namespace {

struct completion {
  std::uint64_t token;
  outcome<put_result> result;
};

class producer_core {
 public:
  producer_core(client_handle& client, producer_options options,
                std::chrono::milliseconds abandon_after)
      : block_(options.overflow == overflow_policy::block),
        abandon_after_(abandon_after),
        efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (efd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    try {
      producer_ = std::make_unique<producer>(client.api, std::move(options));
    } catch (const std::invalid_argument& e) {
      ::close(efd_);
      throw py::value_error(e.what());
    }
  }

  ~producer_core() {
    {
      // A producer dropped without close(): flush for abandon_after, then end what is left.
      py::gil_scoped_release nogil;
      producer_->close(abandon_after_);
      producer_.reset();  // joins the senders (which never need the GIL)
    }
    ::close(efd_);
  }

  // Queues a record. Blocks (interruptibly) while the queue is full and the producer was made
  // with overflow block, up to `timeout`; refusals raise.
  void put(py::handle key, py::handle data, py::handle explicit_hash_key, std::uint64_t token,
           std::optional<double> timeout) {
    using clock = wait_clock;
    const auto deadline = deadline_after(timeout);
    for (;;) {
      std::string k;
      std::string d;
      std::string h;
      from_py(key, k, "partition_key", false);
      from_py(data, d, "data", true);
      if (!explicit_hash_key.is_none()) from_py(explicit_hash_key, h, "explicit_hash_key", false);
      const auto wait = std::min<clock::duration>(deadline - clock::now(), wait_slice);
      outcome<void> r = ok_t{};
      {
        py::gil_scoped_release nogil;
        r = producer_->put(
            std::move(k), std::move(d), std::move(h),
            [this, token](outcome<put_result> res) { settle(token, std::move(res)); },
            std::chrono::duration_cast<std::chrono::milliseconds>(
                std::max<clock::duration>(wait, clock::duration::zero())));
      }
      if (r) return;
      if (r.err().code != error_code::queue_full || !block_ || clock::now() >= deadline) {
        if (r.err().code == error_code::validation) throw py::value_error(r.err().message);
        raise_error(r.err());
      }
      check_signals();
    }
  }

  // Every outcome collected since the last call: (token, shard_id, sequence_number,
  // sub_sequence, attempts, None) or (token, None, None, 0, 0, exception).
  py::list take_completions() {
    std::vector<completion> taken;
    {
      std::lock_guard lock(mu_);
      taken.swap(done_);
      std::uint64_t drained = 0;
      [[maybe_unused]] auto n = ::read(efd_, &drained, sizeof drained);
    }
    py::list out(taken.size());
    for (std::size_t i = 0; i < taken.size(); ++i) {
      auto& c = taken[i];
      if (c.result) {
        const auto& r = c.result.value();
        out[i] = py::make_tuple(c.token, r.shard_id, r.sequence_number, r.sub_sequence, r.attempts,
                                py::none());
      } else {
        out[i] =
            py::make_tuple(c.token, py::none(), py::none(), 0, 0, make_exception(c.result.err()));
      }
    }
    return out;
  }

  // Waits until every record accepted so far has an outcome, or `timeout`; True if all have.
  bool flush(std::optional<double> timeout) {
    using clock = wait_clock;
    const auto deadline = deadline_after(timeout);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::max<clock::duration>(deadline - clock::now(), clock::duration::zero()));
      bool all = false;
      {
        py::gil_scoped_release nogil;
        all = producer_->flush(std::min<std::chrono::milliseconds>(left, wait_slice));
      }
      if (all) return true;
      if (clock::now() >= deadline) return false;
      check_signals();
    }
  }

  // Flushes for up to `timeout` (interruptibly), then closes: records still unsettled then
  // end with Closed.
  void close(std::optional<double> timeout) {
    flush(timeout);
    py::gil_scoped_release nogil;
    producer_->close(std::chrono::milliseconds(0));
  }

  py::dict stats() const {
    auto s = producer_->stats();
    py::dict d;
    d["accepted"] = s.accepted;
    d["succeeded"] = s.succeeded;
    d["failed"] = s.failed;
    d["retried"] = s.retried;
    d["requests"] = s.requests;
    d["queued"] = s.queued;
    return d;
  }

  int fileno() const { return efd_; }

 private:
  void settle(std::uint64_t token, outcome<put_result> result) {
    std::lock_guard lock(mu_);
    done_.push_back({token, std::move(result)});
    if (done_.size() == 1) {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(efd_, &one, sizeof one);
    }
  }

  const bool block_;  // overflow == block: put() waits for room
  const std::chrono::milliseconds abandon_after_;
  int efd_;
  std::mutex mu_;
  std::vector<completion> done_;
  std::unique_ptr<producer> producer_;  // last: its senders call settle() until it is gone
};

}  // namespace

void bind_producer(py::module_& m) {
  py::class_<producer_core>(m, "ProducerCore")
      .def(py::init([](client_handle& client, std::optional<std::string> stream_name,
                       std::optional<std::string> stream_arn, std::size_t max_batch_records,
                       std::size_t max_batch_bytes, double linger, std::size_t max_in_flight,
                       std::size_t max_queued_records, std::size_t max_queued_bytes, bool block,
                       double record_ttl, bool ordered, bool aggregate, double exit_timeout) {
             producer_options o;
             o.stream = {stream_name.value_or(""), stream_arn.value_or("")};
             o.max_batch_records = max_batch_records;
             o.max_batch_bytes = max_batch_bytes;
             o.linger = to_timeout(linger);
             o.max_in_flight = max_in_flight;
             o.max_queued_records = max_queued_records;
             o.max_queued_bytes = max_queued_bytes;
             o.overflow = block ? overflow_policy::block : overflow_policy::fail;
             o.record_ttl = to_timeout(record_ttl);
             o.ordered = ordered;
             o.aggregate = aggregate;
             return std::make_unique<producer_core>(client, std::move(o), to_timeout(exit_timeout));
           }),
           py::arg("client"), py::arg("stream_name"), py::arg("stream_arn"),
           py::arg("max_batch_records"), py::arg("max_batch_bytes"), py::arg("linger"),
           py::arg("max_in_flight"), py::arg("max_queued_records"), py::arg("max_queued_bytes"),
           py::arg("block"), py::arg("record_ttl"), py::arg("ordered"), py::arg("aggregate"),
           py::arg("exit_timeout"))
      .def("put", &producer_core::put, py::arg("partition_key"), py::arg("data"),
           py::arg("explicit_hash_key"), py::arg("token"), py::arg("timeout"))
      .def("take_completions", &producer_core::take_completions)
      .def("flush", &producer_core::flush, py::arg("timeout"))
      .def("close", &producer_core::close, py::arg("timeout"))
      .def("stats", &producer_core::stats)
      .def("fileno", &producer_core::fileno);
}

}  // namespace spate::python
