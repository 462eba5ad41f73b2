// client: the Python-side handle of a `kinesis` implementation (the network client or the
// fake), which Producer, Consumer and Stream take to reach it.
#pragma once

#include <spate/client/client.h>

#include <memory>

namespace spate::python {

struct client_handle {
  std::shared_ptr<client::kinesis> api;
};

}  // namespace spate::python
