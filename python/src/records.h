// records: spate._core.Record, a record read from a shard as Python sees it. Its data is one
// bytes object made when the record crosses into Python (the only copy); the other members
// become Python objects only when read.
#pragma once

#include "bindings.h"

#include <spate/client/record.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spate::python {

struct py_record {
  std::string sequence_number;
  std::string partition_key;
  py::bytes data;
  std::int64_t arrival_ms = 0;
  py::str shard_id;  // one object shared by the records of a batch
  std::string explicit_hash_key;
  std::uint32_t sub_sequence_number = 0;
  bool aggregated = false;
};

// The records of one shard's batch as a list of Record, sharing `shard`. GIL held.
py::list make_records(const py::str& shard, const std::vector<client::record>& records);

}  // namespace spate::python
