// The consumer registry (consumers.h).
#include "engine/consumers.h"

#include "common/log.h"
#include "engine/control_context.h"
#include "engine/scheduler.h"
#include "engine/stream_registry.h"
#include "engine/stream_state.h"
#include "kinesis/errors.h"
#include "kinesis/identifiers.h"
#include "kinesis/limits.h"

#include <algorithm>
#include <tuple>

namespace spate::engine {
namespace {

using metadata::consumer_record;
using metadata::consumer_status;

}  // namespace

std::string consumer_registry::consumer_arn(std::string_view stream, std::string_view name,
                                            std::int64_t created_ms) const {
  return kinesis::consumer_arn(control_.stream_arn(stream), name, created_ms);
}

std::optional<consumer_key> consumer_registry::parse_consumer_arn(std::string_view arn) const {
  const auto parts = kinesis::parse_consumer_arn(arn);
  if (!parts) return std::nullopt;
  // Only this server's account and region: the stream ARN must be one it would write.
  const std::string prefix = control_.stream_arn("");
  if (!parts->stream_arn.starts_with(prefix) || parts->stream_arn.size() == prefix.size()) {
    return std::nullopt;
  }
  return consumer_key{std::string(parts->stream_arn.substr(prefix.size())),
                      std::string(parts->consumer), parts->created_s};
}

failure consumer_registry::not_found(const consumer_key& key) const {
  return to_failure(kinesis::consumer_not_found(key.name, key.stream, control_.options.account_id));
}

outcome<consumer_record> consumer_registry::register_consumer(const std::string& stream_name,
                                                              const std::string& name) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto stream, control_.streams.find_or_fail(stream_name));
  if (stream->record.status == metadata::stream_status::creating ||
      stream->record.status == metadata::stream_status::deleting) {
    return control_.streams.not_active(*stream);
  }
  if (stream->consumers.contains(name)) {
    return to_failure(
        kinesis::consumer_already_exists(name, stream_name, control_.options.account_id));
  }
  if (stream->consumers.size() >= kinesis::consumers_per_stream) {
    return to_failure(kinesis::consumer_limit_exceeded(stream_name, control_.options.account_id));
  }
  const auto creating =
      std::count_if(stream->consumers.begin(), stream->consumers.end(),
                    [](const auto& c) { return c.second.status == consumer_status::creating; });
  if (static_cast<std::size_t>(creating) >= kinesis::consumers_creating_at_once) {
    return to_failure(kinesis::consumers_creating_limit(stream_name, control_.options.account_id));
  }
  consumer_record c;
  c.stream = stream_name;
  c.name = name;
  c.created_ms = control_.time.wall_ms();
  c.arn = consumer_arn(stream_name, name, c.created_ms);
  c.status = control_.options.consumer_ms > 0 ? consumer_status::creating : consumer_status::active;
  if (auto r = control_.catalog->put_consumer(c); !r) {
    return internal_failure("registering consumer " + name, r.error());
  }
  {
    std::unique_lock lock(stream->mu);
    stream->consumers.emplace(name, c);
  }
  if (c.status == consumer_status::creating) {
    apply_later(c, step::activate);
  }
  c.status = consumer_status::creating;  // as AWS answers: ACTIVE comes after
  return c;
}

outcome<consumer_record> consumer_registry::describe(const consumer_key& key) const {
  auto stream = control_.streams.find(key.stream);
  if (!stream) return not_found(key);
  std::shared_lock lock(stream->mu);
  auto it = stream->consumers.find(key.name);
  if (it == stream->consumers.end() ||
      (key.created_s && *key.created_s != it->second.created_ms / 1000)) {
    return not_found(key);
  }
  return it->second;
}

outcome<std::vector<consumer_record>> consumer_registry::list(std::string_view stream_name,
                                                              std::int64_t created_ms) const {
  SPATE_TRY(auto stream, control_.streams.find_or_fail(stream_name));
  std::shared_lock lock(stream->mu);
  // Compared to the second: SDKs send the timestamp in whole seconds (botocore does).
  if (created_ms != 0 && created_ms / 1000 != stream->record.created_ms / 1000) {
    return control_.streams.not_found(stream_name);
  }
  std::vector<consumer_record> out;
  out.reserve(stream->consumers.size());
  for (const auto& [name, c] : stream->consumers) out.push_back(c);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_ms, a.name) < std::tie(b.created_ms, b.name);
  });
  return out;
}

outcome<void> consumer_registry::deregister(const consumer_key& key) {
  std::lock_guard control(control_.mu);
  SPATE_TRY(auto found, describe(key));
  if (found.status == consumer_status::deleting) return {};
  if (control_.options.consumer_ms > 0) {
    apply(found, step::start_deleting);
    apply_later(found, step::remove);
  } else {
    apply(found, step::remove);
  }
  return {};
}

// Caller holds the control mutex. Writes the catalog, then publishes the change. Subscribers of the
// stream are woken when a consumer starts going away, so its subscriptions end. A consumer
// registered anew under the name since (another creation time) is left alone.
void consumer_registry::apply(const consumer_record& which, step s) {
  const std::string& stream_name = which.stream;
  const std::string& name = which.name;
  auto stream = control_.streams.find(stream_name);
  if (!stream) return;
  consumer_record updated;
  {
    std::shared_lock lock(stream->mu);
    auto it = stream->consumers.find(name);
    if (it == stream->consumers.end() || it->second.created_ms != which.created_ms) return;
    updated = it->second;
  }
  if (s == step::activate) {
    if (updated.status != consumer_status::creating) return;  // deregistered meanwhile
    updated.status = consumer_status::active;
  } else {
    updated.status = consumer_status::deleting;
  }
  auto written = s == step::remove ? control_.catalog->delete_consumer(stream_name, name)
                                   : control_.catalog->put_consumer(updated);
  if (!written) {
    log::error("updating consumer {} of stream {} failed: {}", name, stream_name,
               written.error().message());
    return;
  }
  {
    std::unique_lock lock(stream->mu);
    if (s == step::remove) {
      stream->consumers.erase(name);
      stream->policies.erase(updated.arn);  // the catalog dropped it with the consumer
    } else {
      stream->consumers[name] = updated;
    }
  }
  if (s != step::activate) stream->notify_all_shards();
}

void consumer_registry::apply_later(const consumer_record& which, step s) {
  control_.tasks.schedule(control_.options.consumer_ms, [this, which, s] {
    std::lock_guard control(control_.mu);
    apply(which, s);
  });
}

}  // namespace spate::engine
