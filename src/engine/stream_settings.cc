// Stream settings, resource policies and account settings (stream_settings.h).
#include "engine/stream_settings.h"

#include "engine/consumers.h"
#include "engine/control_context.h"
#include "engine/stream_registry.h"
#include "engine/stream_state.h"
#include "kinesis/limits.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace spate::engine {
namespace {

using metadata::stream_mode;
using metadata::stream_record;
using metadata::stream_status;

// `metrics` (AWS names, "ALL" for all) as flags in shard_metric order; false if a name is
// unknown (the api layer's schema refuses those first).
bool metric_flags(const std::vector<std::string>& metrics,
                  std::array<bool, shard_metric_count>& flags) {
  for (const auto& m : metrics) {
    if (m == "ALL") {
      flags.fill(true);
      continue;
    }
    const auto parsed = parse_shard_metric(m);
    if (!parsed) return false;
    flags[static_cast<std::size_t>(*parsed)] = true;
  }
  return true;
}

std::vector<std::string> metric_names(const std::array<bool, shard_metric_count>& flags) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i]) out.emplace_back(shard_metric_names[i]);
  }
  return out;
}

}  // namespace

void stream_settings::load(metadata::account_settings account) {
  std::lock_guard lock(account_mu_);
  account_ = std::move(account);
}

outcome<void> stream_settings::update(const std::string& name, std::string_view doing,
                                      const std::function<void(stream_record&)>& change) {
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  auto updated = stream->record;
  change(updated);
  if (control_.options.update_stream_ms > 0) updated.status = stream_status::updating;
  SPATE_TRY_VOID(control_.store_record(*stream, updated, doing));
  control_.activate_later(name, stream_status::updating, control_.options.update_stream_ms);
  return {};
}

outcome<void> stream_settings::start_encryption(const std::string& name,
                                                const std::string& key_id) {
  std::lock_guard control(control_.mu);
  return update(name, "starting encryption", [&](stream_record& r) {
    r.encryption_type = "KMS";
    r.kms_key_id = key_id;
  });
}

outcome<void> stream_settings::stop_encryption(const std::string& name) {
  std::lock_guard control(control_.mu);
  return update(name, "stopping encryption", [](stream_record& r) {
    r.encryption_type = "NONE";
    r.kms_key_id.clear();
  });
}

outcome<monitoring_change> stream_settings::change_enhanced_monitoring(
    const std::string& name, const std::vector<std::string>& metrics, bool enable) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  std::array<bool, shard_metric_count> current{}, requested{};
  if (!metric_flags(stream->record.shard_level_metrics, current) ||
      !metric_flags(metrics, requested)) {
    return failure{failure_kind::invalid_argument, "Unknown shard-level metric."};
  }
  auto desired = current;
  for (std::size_t i = 0; i < desired.size(); ++i) {
    if (requested[i]) desired[i] = enable;
  }
  monitoring_change out{name, stream->record.arn, metric_names(current), metric_names(desired)};
  if (desired != current) {
    auto updated = stream->record;
    updated.shard_level_metrics = out.desired;
    SPATE_TRY_VOID(control_.store_record(*stream, updated, "changing enhanced monitoring"));
  }
  return out;
}

outcome<void> stream_settings::update_max_record_size(const std::string& name, int kib) {
  if (kib < kinesis::min_record_size_kib || kib > kinesis::max_record_size_kib) {
    return failure{failure_kind::invalid_argument,
                   fmt::format("MaxRecordSizeInKiB must be between {} and {}.",
                               kinesis::min_record_size_kib, kinesis::max_record_size_kib)};
  }
  std::lock_guard control(control_.mu);
  return update(name, "updating the maximum record size",
                [kib](stream_record& r) { r.max_record_size_kib = kib; });
}

outcome<stream_record> stream_settings::update_warm_throughput(const std::string& name,
                                                               std::int64_t mibs) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_active(name));
  if (stream->record.mode != stream_mode::on_demand) {
    return failure{failure_kind::invalid_argument,
                   fmt::format("Warm throughput can only be configured for streams in ON_DEMAND "
                               "mode. Stream {} under account {} is in {} mode.",
                               name, control_.options.account_id, to_string(stream->record.mode))};
  }
  if (account_settings().commitment_status == "DISABLED") {
    return failure{failure_kind::invalid_argument,
                   fmt::format("Warm throughput requires the minimum throughput billing "
                               "commitment to be enabled for account {}.",
                               control_.options.account_id)};
  }
  if (mibs > max_warm_throughput_mibs) {
    return failure{failure_kind::limit_exceeded,
                   fmt::format("Requested warm throughput of {} MiBps for stream {} under "
                               "account {} exceeds the limit of {} MiBps.",
                               mibs, name, control_.options.account_id, max_warm_throughput_mibs)};
  }
  SPATE_TRY_VOID(update(name, "updating warm throughput", [&](stream_record& r) {
    r.warm_target_mibs = mibs;
    if (control_.options.update_stream_ms <= 0) r.warm_current_mibs = mibs;  // done at once
  }));
  std::shared_lock lock(stream->mu);
  return stream->record;
}

// --- resource policies ---------------------------------------------------------------------

struct stream_settings::policy_target {
  std::shared_ptr<stream_state> stream;
  std::string arn;       // canonical: the stream's or consumer's own ARN
  std::string consumer;  // empty for the stream
};

outcome<stream_settings::policy_target> stream_settings::find_policy_target(
    std::string_view arn) const {
  if (auto key = consumers_.parse_consumer_arn(arn)) {
    SPATE_TRY(auto consumer, consumers_.describe(*key));
    auto stream = control_.streams.find(key->stream);
    if (!stream) return consumers_.not_found(*key);
    return policy_target{std::move(stream), consumer.arn, consumer.name};
  }
  SPATE_TRY(auto name, control_.stream_name_from_arn(arn));
  SPATE_TRY(auto stream, control_.streams.find_or_fail(name));
  std::string own;
  {
    std::shared_lock lock(stream->mu);
    own = stream->record.arn;
  }
  return policy_target{std::move(stream), std::move(own), {}};
}

outcome<void> stream_settings::put_resource_policy(std::string_view arn, std::string policy) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto target, find_policy_target(arn));
  if (auto r = control_.catalog->put_policy(
          {target.arn, target.stream->record.name, target.consumer, policy});
      !r) {
    return internal_failure("putting a resource policy", r.error());
  }
  std::unique_lock lock(target.stream->mu);
  target.stream->policies[target.arn] = std::move(policy);
  return {};
}

outcome<std::optional<std::string>> stream_settings::get_resource_policy(
    std::string_view arn) const {
  SPATE_TRY(auto target, find_policy_target(arn));
  std::shared_lock lock(target.stream->mu);
  auto it = target.stream->policies.find(target.arn);
  if (it == target.stream->policies.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

outcome<void> stream_settings::delete_resource_policy(std::string_view arn) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto target, find_policy_target(arn));
  if (!target.stream->policies.contains(target.arn)) {
    return failure{failure_kind::resource_not_found,
                   fmt::format("No resource policy found for resource ARN {}.", arn)};
  }
  if (auto r = control_.catalog->delete_policy(target.arn); !r) {
    return internal_failure("deleting a resource policy", r.error());
  }
  std::unique_lock lock(target.stream->mu);
  target.stream->policies.erase(target.arn);
  return {};
}

// --- account settings ----------------------------------------------------------------------

metadata::account_settings stream_settings::account_settings() const {
  std::lock_guard lock(account_mu_);
  auto a = account_;
  if (a.commitment_status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END" &&
      control_.time.wall_ms() >= a.earliest_end_ms) {
    a.commitment_status = "DISABLED";
    a.ended_ms = a.earliest_end_ms;
  }
  return a;
}

outcome<metadata::account_settings> stream_settings::update_account_settings(bool enable) {
  std::lock_guard control(control_.mu);
  auto a = account_settings();
  const std::int64_t now = control_.time.wall_ms();
  if (enable) {
    if (a.commitment_status == "DISABLED") {
      a = {"ENABLED", now, 0, now + min_commitment_ms};
    } else {
      a.commitment_status = "ENABLED";  // cancels a pending end
      a.ended_ms = 0;
    }
  } else if (a.commitment_status == "ENABLED") {
    if (now < a.earliest_end_ms) {
      a.commitment_status = "ENABLED_UNTIL_EARLIEST_ALLOWED_END";
    } else {
      a.commitment_status = "DISABLED";
      a.ended_ms = now;
    }
  }
  if (auto r = control_.catalog->put_account_settings(a); !r) {
    return internal_failure("updating account settings", r.error());
  }
  std::lock_guard lock(account_mu_);
  account_ = a;
  return a;
}

// --- enhanced monitoring's samples ---------------------------------------------------------

void stream_settings::enhanced_metrics(std::vector<shard_metrics_sample>& out) const {
  for (const auto& stream : control_.streams.all()) {
    std::shared_lock topology(stream->mu);
    if (stream->record.shard_level_metrics.empty()) continue;
    std::array<bool, shard_metric_count> enabled{};
    if (!metric_flags(stream->record.shard_level_metrics, enabled)) continue;
    for (const auto& shard : stream->shards) {
      shard_metrics_sample sample;
      sample.stream = stream->record.name;
      sample.shard_id = shard->id;
      sample.enabled = enabled;
      for (std::size_t i = 0; i < shard_metric_count; ++i) {
        sample.values[i] = shard->counters.get(static_cast<shard_metric>(i));
      }
      out.push_back(std::move(sample));
    }
  }
}

}  // namespace spate::engine
