// The control plane's shared steps: ARNs, account limits, storing a stream's record, activating it
// later.
#include "engine/control_context.h"

#include "engine/scheduler.h"
#include "engine/stream_registry.h"
#include "engine/stream_state.h"
#include "kinesis/errors.h"
#include "kinesis/identifiers.h"
#include "kinesis/rules.h"

namespace spate::engine {

std::string control_context::stream_arn(std::string_view name) const {
  return kinesis::stream_arn(options.region, options.account_id, name);
}

outcome<std::string> control_context::stream_name_from_arn(std::string_view arn) const {
  const std::string prefix = stream_arn("");
  if (arn.starts_with(prefix) && arn.size() > prefix.size()) {
    return std::string(arn.substr(prefix.size()));
  }
  // An ARN of another account or region (or not a stream ARN): name what it points at.
  const auto other = kinesis::parse_stream_arn(arn);
  return to_failure(kinesis::stream_not_found(
      other.name, other.account.empty() ? std::string_view(options.account_id) : other.account));
}

std::optional<failure> control_context::check_shard_limit(std::size_t open,
                                                          std::size_t additional) const {
  if (auto refused = kinesis::check_shard_limit(options.account_id, options.region, open,
                                                additional, options.shard_limit)) {
    return to_failure(std::move(*refused));
  }
  return std::nullopt;
}

failure control_context::on_demand_limit() const {
  return to_failure(kinesis::on_demand_stream_limit_exceeded(options.on_demand_stream_limit,
                                                             options.account_id, options.region));
}

outcome<void> control_context::store_record(stream_state& stream,
                                            const metadata::stream_record& updated,
                                            std::string_view doing) {
  if (auto r = catalog->update_stream(updated); !r) return internal_failure(doing, r.error());
  std::unique_lock lock(stream.mu);
  stream.record = updated;
  return {};
}

void control_context::activate_later(const std::string& name, metadata::stream_status from,
                                     std::int64_t delay_ms) {
  if (delay_ms <= 0) return;
  tasks.schedule(delay_ms, [this, name, from] {
    std::lock_guard control(mu);
    auto s = streams.find(name);
    if (!s || s->record.status != from) return;  // changed (or deleted) meanwhile
    auto updated = s->record;
    updated.status = metadata::stream_status::active;
    updated.warm_current_mibs = updated.warm_target_mibs;  // a warm throughput update is done
    (void)store_record(*s, updated, "activating a stream");
  });
}

}  // namespace spate::engine
