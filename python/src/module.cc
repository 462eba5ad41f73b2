// module: spate._core, the C++ half of the `spate` Python package. Its parts: client.cc
// (Client, FakeStream), records.cc (Record), producer.cc, consumer.cc, checkpointers.cc;
// bindings.h says how they share threads and the GIL. The Python half (python/spate/) builds
// the public API on these classes.
#include "bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "Spate's C++ client library for Python (use the `spate` package, not this module)";
  m.attr("__version__") = SPATE_VERSION;
  spate::python::bind_records(m);
  spate::python::bind_client(m);
  spate::python::bind_checkpointers(m);
  spate::python::bind_producer(m);
  spate::python::bind_consumer(m);
  m.def(
      "_end_abandoned_calls",
      [](double timeout) {
        return spate::python::end_abandoned_calls(
            std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000.0)));
      },
      pybind11::arg("timeout"),
      "At exit: closes the clients of calls Ctrl-C abandoned and waits up to `timeout` seconds "
      "for those calls to end; returns how many had not.");
}
