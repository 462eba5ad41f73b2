// records: the Record class and the conversion of a batch of C++ records into Records.
#include "records.h"

#include <pybind11/stl.h>

namespace spate::python {

py::list make_records(const py::str& shard, const std::vector<client::record>& records) {
  py::list out(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    out[i] = py::cast(py_record{r.sequence_number, r.partition_key, py::bytes(r.data), r.arrival_ms,
                                shard, r.explicit_hash_key, r.sub_sequence, r.aggregated});
  }
  return out;
}

namespace {

py::object utc_datetime(std::int64_t ms) {
  static auto* fromtimestamp =
      new py::object(py::module_::import("datetime").attr("datetime").attr("fromtimestamp"));
  static auto* utc = new py::object(py::module_::import("datetime").attr("timezone").attr("utc"));
  return (*fromtimestamp)(static_cast<double>(ms) / 1000.0, *utc);
}

}  // namespace

void bind_records(py::module_& m) {
  py::class_<py_record>(m, "Record", R"(A record read from a shard.

sequence_number, partition_key and shard_id are str; data is bytes;
approximate_arrival_timestamp is a timezone-aware datetime (UTC) and arrival_ms the same instant
in epoch milliseconds; explicit_hash_key is set (else None) and sub_sequence_number counts
from 0 for a record unpacked from a KPL aggregate (aggregated is True then).)")
      .def(py::init([](std::string sequence_number, std::string partition_key, py::bytes data,
                       std::int64_t arrival_ms, py::str shard_id,
                       std::optional<std::string> explicit_hash_key,
                       std::uint32_t sub_sequence_number) {
             return py_record{std::move(sequence_number),
                              std::move(partition_key),
                              std::move(data),
                              arrival_ms,
                              std::move(shard_id),
                              explicit_hash_key.value_or(""),
                              sub_sequence_number,
                              sub_sequence_number > 0 || explicit_hash_key.has_value()};
           }),
           py::kw_only(), py::arg("sequence_number"), py::arg("partition_key"), py::arg("data"),
           py::arg("arrival_ms") = 0, py::arg("shard_id") = "",
           py::arg("explicit_hash_key") = py::none(), py::arg("sub_sequence_number") = 0)
      .def_readonly("sequence_number", &py_record::sequence_number)
      .def_readonly("partition_key", &py_record::partition_key)
      .def_readonly("data", &py_record::data)
      .def_readonly("shard_id", &py_record::shard_id)
      .def_readonly("arrival_ms", &py_record::arrival_ms)
      .def_readonly("sub_sequence_number", &py_record::sub_sequence_number)
      .def_readonly("aggregated", &py_record::aggregated)
      .def_property_readonly("approximate_arrival_timestamp",
                             [](const py_record& r) { return utc_datetime(r.arrival_ms); })
      .def_property_readonly("explicit_hash_key",
                             [](const py_record& r) -> py::object {
                               if (r.explicit_hash_key.empty()) return py::none();
                               return py::str(r.explicit_hash_key);
                             })
      .def(
          "__repr__",
          [](const py_record& r) {
            return "Record(shard_id=" + py::repr(r.shard_id).cast<std::string>() +
                   ", sequence_number=" + py::repr(py::str(r.sequence_number)).cast<std::string>() +
                   ", partition_key=" + py::repr(py::str(r.partition_key)).cast<std::string>() +
                   ", data=" + py::repr(r.data).cast<std::string>().substr(0, 80) + ")";
          })
      .def("__eq__", [](const py_record& a, const py_record& b) {
        return a.shard_id.equal(b.shard_id) && a.sequence_number == b.sequence_number &&
               a.sub_sequence_number == b.sub_sequence_number;
      });
}

}  // namespace spate::python
