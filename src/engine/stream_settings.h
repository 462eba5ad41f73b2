// stream_settings: the settings of a stream that no data path decides on its own (server-side
// encryption, enhanced monitoring, maximum record size, warm throughput), the resource policies
// of streams and consumers, and the account's settings (the minimum throughput billing
// commitment). Every change is a control-plane change: made under the control mutex
// (control_context.h), written to the catalog before it is published.
//
// Owned by the engine; the settings live in each stream's record and policy map, the
// account's here. Threads: any (changes serialised by the control mutex).
#pragma once

#include "engine/shard_metrics.h"
#include "engine/types.h"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

class consumer_registry;
struct control_context;

class stream_settings {
 public:
  stream_settings(control_context& control, const consumer_registry& consumers)
      : control_(control), consumers_(consumers) {}

  // The account's settings as the catalog holds them, at open.
  void load(metadata::account_settings account);

  // Server-side encryption with a KMS key (not checked: there is no KMS), or none. The stream
  // is UPDATING for --update-stream-ms.
  outcome<void> start_encryption(const std::string& name, const std::string& key_id);
  outcome<void> stop_encryption(const std::string& name);
  // Adds (enable) or removes shard-level metrics, named as AWS does ("ALL": all seven).
  outcome<monitoring_change> change_enhanced_monitoring(const std::string& name,
                                                        const std::vector<std::string>& metrics,
                                                        bool enable);
  // 1024..10240 KiB per record; put() refuses larger records from then on.
  outcome<void> update_max_record_size(const std::string& name, int kib);
  // On-demand streams of an account with the minimum throughput billing commitment; returns
  // the stream's record as changed (its warm target set; current reached once ACTIVE).
  outcome<metadata::stream_record> update_warm_throughput(const std::string& name,
                                                          std::int64_t mibs);

  // The policy of a stream or consumer ARN. Putting validates nothing but the target; the
  // policy text is kept as given. get_resource_policy returns nullopt when none is attached.
  outcome<void> put_resource_policy(std::string_view arn, std::string policy);
  outcome<std::optional<std::string>> get_resource_policy(std::string_view arn) const;
  outcome<void> delete_resource_policy(std::string_view arn);

  // The account's settings, a pending end of the commitment applied once it is due.
  metadata::account_settings account_settings() const;
  // ENABLED starts a commitment (24 h minimum) or cancels a pending end; DISABLED ends it, or
  // before its earliest end schedules the end then (ENABLED_UNTIL_EARLIEST_ALLOWED_END).
  outcome<metadata::account_settings> update_account_settings(bool enable);

  // Appends a sample per shard of every stream with enhanced monitoring (shard_metrics.h).
  void enhanced_metrics(std::vector<shard_metrics_sample>& out) const;

 private:
  // A change of a stream's settings that makes it UPDATING for --update-stream-ms. Caller
  // holds the control mutex.
  outcome<void> update(const std::string& name, std::string_view doing,
                       const std::function<void(metadata::stream_record&)>& change);
  struct policy_target;
  outcome<policy_target> find_policy_target(std::string_view arn) const;

  control_context& control_;
  const consumer_registry& consumers_;
  mutable std::mutex account_mu_;  // guards account_ (written under the control mutex too)
  metadata::account_settings account_;
};

}  // namespace spate::engine
