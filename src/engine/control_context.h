// control_context: what every part of the engine's control plane shares - the one mutex that
// serialises control-plane changes and catalog writes, the catalog, the stream registry, the
// scheduler, and the steps a change of a stream's record takes (write the catalog, then
// publish; become ACTIVE after --create-stream-ms or --update-stream-ms).
//
// Owned by the engine; the consumer registry and the stream settings hold a reference. Threads:
// the control thread and the maintenance thread; `mu` makes their changes one at a time.
#pragma once

#include "engine/types.h"

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace spate::engine {

class scheduler;
class stream_registry;
struct stream_state;

struct control_context {
  control_context(const engine_options& options, const clock& time, stream_registry& streams,
                  scheduler& tasks)
      : options(options), time(time), streams(streams), tasks(tasks) {}

  std::mutex mu;  // held by every control-plane change, and while it writes the catalog
  const engine_options& options;
  const clock& time;
  stream_registry& streams;
  scheduler& tasks;
  metadata::catalog* catalog = nullptr;  // set once the engine has opened it

  std::string stream_arn(std::string_view name) const;
  // The stream name of an ARN of this account and region, or a failure naming the ARN.
  outcome<std::string> stream_name_from_arn(std::string_view arn) const;
  // The account's shard limit, were `additional` shards added to `open` ones.
  std::optional<failure> check_shard_limit(std::size_t open, std::size_t additional) const;
  // The refusal of one more ON_DEMAND stream than the account may have.
  failure on_demand_limit() const;

  // Caller holds `mu`, which every writer of a stream's record holds, so the record can be
  // read without the stream's lock. The catalog write (an fsync) happens before the lock is
  // taken; the lock is held only to publish, so puts and reads never wait for the disk.
  outcome<void> store_record(stream_state& stream, const metadata::stream_record& updated,
                             std::string_view doing);
  // After `delay_ms`, the stream becomes ACTIVE if it is still `from` (CREATING or UPDATING),
  // reaching its warm throughput target. Nothing to do for a delay of 0.
  void activate_later(const std::string& name, metadata::stream_status from, std::int64_t delay_ms);
};

}  // namespace spate::engine
