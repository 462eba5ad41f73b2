// checkpointers: the store a Consumer keeps leases and checkpoints in, as Python sees it.
//  - _core.Checkpointer wraps a C++ store (memory, SQLite, Redis; opened by URI);
//  - any other Python object with list/compare_and_set/clear methods is a Python store: the
//    consumer's C++ threads reach it through the consumer's dispatcher, so its methods run
//    on the Python thread that runs the consumer, never on a C++ thread.
// A lease crosses as a dict: shard_id, parent_shard_ids, checkpoint, owner, pending_owner,
// renewed_ms, version.
#pragma once

#include "bindings.h"

#include <spate/client/checkpointer.h>

#include <memory>

namespace spate::python {

struct checkpointer_handle {
  std::shared_ptr<client::checkpointer> store;
};

py::dict lease_to_py(const client::shard_lease& lease);
client::shard_lease lease_from_py(py::handle h);

}  // namespace spate::python
