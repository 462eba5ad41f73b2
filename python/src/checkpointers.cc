// checkpointers: _core.Checkpointer (the C++ stores by URI) and lease conversions.
#include "checkpointers.h"

#include "conversions.h"

#include <pybind11/stl.h>

namespace spate::python {

using namespace spate::client;

py::dict lease_to_py(const shard_lease& lease) {
  py::dict d;
  d["shard_id"] = lease.shard_id;
  d["parent_shard_ids"] = to_py(lease.parent_shard_ids);
  d["checkpoint"] = lease.checkpoint;
  d["owner"] = lease.owner;
  d["pending_owner"] = lease.pending_owner;
  d["renewed_ms"] = lease.renewed_ms;
  d["version"] = lease.version;
  return d;
}

shard_lease lease_from_py(py::handle h) {
  if (!PyDict_Check(h.ptr())) type_error("lease", "dict", h);
  py::dict d = py::reinterpret_borrow<py::dict>(h);
  shard_lease lease;
  auto text = [&](const char* key, std::string& out) {
    if (d.contains(key) && !d[key].is_none()) from_py(d[key], out, key, false);
  };
  text("shard_id", lease.shard_id);
  text("checkpoint", lease.checkpoint);
  text("owner", lease.owner);
  text("pending_owner", lease.pending_owner);
  if (d.contains("parent_shard_ids") && !d["parent_shard_ids"].is_none()) {
    from_py(d["parent_shard_ids"], lease.parent_shard_ids, "parent_shard_ids");
  }
  if (d.contains("renewed_ms")) from_py(d["renewed_ms"], lease.renewed_ms, "renewed_ms");
  if (d.contains("version")) from_py(d["version"], lease.version, "version");
  if (lease.shard_id.empty()) throw py::value_error("lease: shard_id is required");
  return lease;
}

void bind_checkpointers(py::module_& m) {
  py::class_<checkpointer_handle>(m, "Checkpointer", R"(A checkpoint and lease store in C++.

Checkpointer(uri): "memory:", "sqlite:/path/file.db" (or a bare path; WAL, shared by the
processes of one machine), "redis://host:port[/db]" (workers on several machines). Methods:
list(group), compare_and_set(group, lease, expected_version), clear(group); the Consumer uses
them, and a tool may too.)")
      .def(py::init([](const std::string& uri) {
             return checkpointer_handle{
                 unwrap(call_blocking([uri] { return open_checkpointer(uri); }))};
           }),
           py::arg("uri"))
      .def(
          "list",
          [](checkpointer_handle& self, const std::string& group) {
            auto leases = unwrap(call_blocking([s = self.store, group] { return s->list(group); }));
            py::list out;
            for (const auto& lease : leases) out.append(lease_to_py(lease));
            return out;
          },
          py::arg("group"))
      .def(
          "compare_and_set",
          [](checkpointer_handle& self, const std::string& group, py::dict lease,
             std::uint64_t expected_version) {
            auto entry = lease_from_py(lease);
            return unwrap(call_blocking([s = self.store, group, entry, expected_version] {
              return s->compare_and_set(group, entry, expected_version);
            }));
          },
          py::arg("group"), py::arg("lease"), py::arg("expected_version"))
      .def(
          "clear",
          [](checkpointer_handle& self, const std::string& group) {
            const auto cleared = call_blocking([s = self.store, group] { return s->clear(group); });
            unwrap(cleared);
          },
          py::arg("group"));
  m.def("group_key", &group_key, py::arg("application"), py::arg("stream_name"),
        "The key a consumer group's entries are stored under.");
}

}  // namespace spate::python
