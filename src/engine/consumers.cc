// consumers: enhanced fan-out consumers (RegisterStreamConsumer and friends).
//
// A consumer belongs to one stream (by name and creation time: a stream deleted and created
// again has none). Its ARN ends in its creation time in epoch seconds, as AWS's do, so a
// consumer registered again under the same name gets a new ARN (unless within the same
// second). Registration and deregistration pass through CREATING and DELETING for
// `consumer_ms` (immediately when 0); a restart completes a pending transition. A consumer's
// resource policy goes with it.
#include "common/clock.h"
#include "common/log.h"
#include "engine/engine.h"
#include "engine/stream_state.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"

namespace spate::engine {
namespace {

using metadata::consumer_record;
using metadata::consumer_status;

}  // namespace

std::string engine::consumer_arn(std::string_view stream, std::string_view name,
                                 std::int64_t created_ms) const {
  return kinesis::consumer_arn(stream_arn(stream), name, created_ms);
}

std::optional<consumer_key> engine::parse_consumer_arn(std::string_view arn) const {
  const auto parts = kinesis::parse_consumer_arn(arn);
  if (!parts) return std::nullopt;
  // Only this server's account and region: the stream ARN must be one it would write.
  const std::string prefix = stream_arn("");
  if (!parts->stream_arn.starts_with(prefix) || parts->stream_arn.size() == prefix.size()) {
    return std::nullopt;
  }
  return consumer_key{std::string(parts->stream_arn.substr(prefix.size())),
                      std::string(parts->consumer), parts->created_s};
}

failure engine::consumer_not_found(const consumer_key& key) const {
  return to_failure(kinesis::consumer_not_found(key.name, key.stream, options_.account_id));
}

outcome<consumer_record> engine::register_consumer(const std::string& stream_name,
                                                   const std::string& name) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto stream, streams_.find_or_fail(stream_name));
  if (stream->record.status == metadata::stream_status::creating ||
      stream->record.status == metadata::stream_status::deleting) {
    return streams_.not_active(*stream);
  }
  if (stream->consumers.contains(name)) {
    return to_failure(kinesis::consumer_already_exists(name, stream_name, options_.account_id));
  }
  if (stream->consumers.size() >= kinesis::consumers_per_stream) {
    return to_failure(kinesis::consumer_limit_exceeded(stream_name, options_.account_id));
  }
  const auto creating =
      std::count_if(stream->consumers.begin(), stream->consumers.end(),
                    [](const auto& c) { return c.second.status == consumer_status::creating; });
  if (static_cast<std::size_t>(creating) >= kinesis::consumers_creating_at_once) {
    return to_failure(kinesis::consumers_creating_limit(stream_name, options_.account_id));
  }
  consumer_record c;
  c.stream = stream_name;
  c.name = name;
  c.created_ms = clock_.wall_ms();
  c.arn = consumer_arn(stream_name, name, c.created_ms);
  c.status = options_.consumer_ms > 0 ? consumer_status::creating : consumer_status::active;
  if (auto r = catalog_->put_consumer(c); !r) {
    return internal_failure("registering consumer " + name, r.error());
  }
  {
    std::unique_lock lock(stream->mu);
    stream->consumers.emplace(name, c);
  }
  if (c.status == consumer_status::creating) {
    finish_consumer_later(c, consumer_step::activate);
  }
  c.status = consumer_status::creating;  // as AWS answers: ACTIVE comes after
  return c;
}

outcome<consumer_record> engine::describe_consumer(const consumer_key& key) const {
  auto stream = streams_.find(key.stream);
  if (!stream) return consumer_not_found(key);
  std::shared_lock lock(stream->mu);
  auto it = stream->consumers.find(key.name);
  if (it == stream->consumers.end() ||
      (key.created_s && *key.created_s != it->second.created_ms / 1000)) {
    return consumer_not_found(key);
  }
  return it->second;
}

outcome<std::vector<consumer_record>> engine::list_consumers(std::string_view stream_name,
                                                             std::int64_t created_ms) const {
  SPATE_TRY(auto stream, streams_.find_or_fail(stream_name));
  std::shared_lock lock(stream->mu);
  // Compared to the second: SDKs send the timestamp in whole seconds (botocore does).
  if (created_ms != 0 && created_ms / 1000 != stream->record.created_ms / 1000) {
    return streams_.not_found(stream_name);
  }
  std::vector<consumer_record> out;
  out.reserve(stream->consumers.size());
  for (const auto& [name, c] : stream->consumers) out.push_back(c);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_ms, a.name) < std::tie(b.created_ms, b.name);
  });
  return out;
}

outcome<void> engine::deregister_consumer(const consumer_key& key) {
  std::lock_guard control(control_mu_);
  SPATE_TRY(auto found, describe_consumer(key));
  if (found.status == consumer_status::deleting) return {};
  if (options_.consumer_ms > 0) {
    apply_consumer_transition(found, consumer_step::start_deleting);
    finish_consumer_later(found, consumer_step::remove);
  } else {
    apply_consumer_transition(found, consumer_step::remove);
  }
  return {};
}

// Caller holds control_mu_. Writes the catalog, then publishes the change. Subscribers of the
// stream are woken when a consumer starts going away, so its subscriptions end. A consumer
// registered anew under the name since (another creation time) is left alone.
void engine::apply_consumer_transition(const consumer_record& which, consumer_step step) {
  const std::string& stream_name = which.stream;
  const std::string& name = which.name;
  auto stream = streams_.find(stream_name);
  if (!stream) return;
  consumer_record updated;
  {
    std::shared_lock lock(stream->mu);
    auto it = stream->consumers.find(name);
    if (it == stream->consumers.end() || it->second.created_ms != which.created_ms) return;
    updated = it->second;
  }
  if (step == consumer_step::activate) {
    if (updated.status != consumer_status::creating) return;  // deregistered meanwhile
    updated.status = consumer_status::active;
  } else {
    updated.status = consumer_status::deleting;
  }
  auto written = step == consumer_step::remove ? catalog_->delete_consumer(stream_name, name)
                                               : catalog_->put_consumer(updated);
  if (!written) {
    log::error("updating consumer {} of stream {} failed: {}", name, stream_name,
               written.error().message());
    return;
  }
  {
    std::unique_lock lock(stream->mu);
    if (step == consumer_step::remove) {
      stream->consumers.erase(name);
      stream->policies.erase(updated.arn);  // the catalog dropped it with the consumer
    } else {
      stream->consumers[name] = updated;
    }
  }
  if (step != consumer_step::activate) stream->notify_all_shards();
}

void engine::finish_consumer_later(const consumer_record& which, consumer_step step) {
  scheduler_.schedule(options_.consumer_ms, [this, which, step] {
    std::lock_guard control(control_mu_);
    apply_consumer_transition(which, step);
  });
}

}  // namespace spate::engine
