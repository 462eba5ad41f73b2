// consumers: the consumer registry - enhanced fan-out consumers (RegisterStreamConsumer,
// DescribeStreamConsumer, ListStreamConsumers, DeregisterStreamConsumer) and their ARNs.
//
// A consumer belongs to one stream (by name and creation time: a stream deleted and created
// again has none). Its ARN ends in its creation time in epoch seconds, as AWS's do, so a
// consumer registered again under the same name gets a new ARN (unless within the same
// second). Registration and deregistration pass through CREATING and DELETING for
// `consumer_ms` (immediately when 0); a restart completes a pending transition. A consumer's
// resource policy goes with it.
//
// Owned by the engine; the consumers themselves live in each stream's state. Threads: any;
// changes take the control mutex (control_context.h), lookups only the stream's lock.
#pragma once

#include "engine/types.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

struct control_context;

class consumer_registry {
 public:
  explicit consumer_registry(control_context& control) : control_(control) {}

  std::string consumer_arn(std::string_view stream, std::string_view name,
                           std::int64_t created_ms) const;
  // The key an ARN of this account and region names, or nullopt if it is not a consumer ARN.
  std::optional<consumer_key> parse_consumer_arn(std::string_view arn) const;

  outcome<metadata::consumer_record> register_consumer(const std::string& stream,
                                                       const std::string& name);
  outcome<metadata::consumer_record> describe(const consumer_key& key) const;
  // Every consumer of a stream created in the second of `created_ms` (any time if 0).
  outcome<std::vector<metadata::consumer_record>> list(std::string_view stream,
                                                       std::int64_t created_ms) const;
  outcome<void> deregister(const consumer_key& key);

  failure not_found(const consumer_key& key) const;

 private:
  enum class step { activate, start_deleting, remove };
  // Caller holds the control mutex.
  void apply(const metadata::consumer_record& which, step s);
  void apply_later(const metadata::consumer_record& which, step s);

  control_context& control_;
};

}  // namespace spate::engine
