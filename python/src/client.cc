// client: spate._core.Client, every Kinesis action as a method taking keyword arguments and
// returning a dict (shapes: conversions.h), and _core.FakeStream, the in-process fake as a
// Client. Each call runs on the blocking-call pool while the caller waits interruptibly.
#include "client.h"

#include "conversions.h"

#include <spate/client/fake_stream.h>

#include <atomic>
#include <deque>
#include <pybind11/stl.h>
#include <set>
#include <thread>

namespace spate::python {

using namespace spate::client;

namespace {

// How an abandoned call on `api` is ended at exit: the whole client is closed.
std::function<void()> closer_of(const std::shared_ptr<kinesis>& api) {
  return [weak = std::weak_ptr<kinesis>(api)] {
    if (auto a = weak.lock()) a->close();
  };
}

template <class Req, class Res>
void bind_action(py::class_<client_handle>& cls, const char* name,
                 outcome<Res> (kinesis::*method)(const Req&), const char* doc) {
  cls.def(
      name,
      [method](client_handle& self, const py::kwargs& kwargs) {
        Req req;
        from_py(kwargs, req, "");
        return to_py(unwrap(call_blocking(
            [api = self.api, req = std::move(req), method] { return ((*api).*method)(req); },
            closer_of(self.api))));
      },
      doc);
}

// SubscribeToShard: the call runs on a pool thread; each event crosses to the Python caller,
// which runs `on_event` and answers whether to go on.
py::object subscribe(client_handle& self, const std::string& consumer_arn,
                     const std::string& shard_id, const py::dict& starting_position,
                     const py::function& on_event) {
  struct exchange {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<subscribe_to_shard_event> events;
    bool go_on = true;  // Python's answer; false ends the subscription
    bool finished = false;
    std::optional<outcome<subscribe_to_shard_result>> result;
  };
  auto ex = std::make_shared<exchange>();
  auto req = std::make_shared<subscribe_to_shard_request>();
  req->consumer_arn = consumer_arn;
  req->shard_id = shard_id;
  from_py(starting_position, req->starting_position, "starting_position");
  req->on_event = [ex](const subscribe_to_shard_event& e) {
    std::unique_lock lock(ex->mu);
    if (!ex->go_on) return false;
    ex->events.push_back(e);
    ex->cv.notify_all();
    ex->cv.wait(lock, [&] { return ex->events.empty() || !ex->go_on; });
    return ex->go_on;
  };
  req->cancelled = [ex] {
    std::lock_guard lock(ex->mu);
    return !ex->go_on;
  };
  post_blocking([api = self.api, req, ex] {
    auto r = api->subscribe_to_shard(*req);
    std::lock_guard lock(ex->mu);
    ex->result.emplace(std::move(r));
    ex->finished = true;
    ex->cv.notify_all();
  });
  auto stop = [&] {
    std::lock_guard lock(ex->mu);
    ex->go_on = false;
    ex->events.clear();
    ex->cv.notify_all();
  };
  try {
    for (;;) {
      wait_until_ready(
          ex->mu, ex->cv, [&] { return ex->finished || !ex->events.empty(); },
          std::chrono::milliseconds::max());
      std::unique_lock lock(ex->mu);
      if (ex->events.empty()) break;
      subscribe_to_shard_event event = std::move(ex->events.front());
      lock.unlock();
      const bool go_on = py::cast<bool>(on_event(to_py(event)));
      lock.lock();
      ex->events.pop_front();
      if (!go_on) ex->go_on = false;
      ex->cv.notify_all();
    }
  } catch (...) {
    stop();
    remember_abandoned(
        [ex] {
          std::lock_guard lock(ex->mu);
          return ex->finished;
        },
        closer_of(self.api));
    throw;
  }
  std::unique_lock lock(ex->mu);
  return to_py(unwrap(std::move(*ex->result)));
}

// fake_stream, with failure injection Python can drive (no Python predicate: the fake is
// called from the producer's sender threads, which never run Python).
struct fake_handle : client_handle {
  std::shared_ptr<fake_stream> fake;
};

}  // namespace

void bind_client(py::module_& m) {
  py::class_<client_handle> cls(m, "Client", R"(The typed Kinesis Data Streams client.

Client(endpoint=None, region=None, credentials=None, *, connect_timeout=3.0,
       request_timeout=15.0, max_attempts=8, verify_tls=True, ca_file=None)

Every action is a method named after it in snake_case, taking the action's members as keyword
arguments (snake_case too; a stream is named by stream_name= or stream_arn=) and returning a
dict. Empty arguments come from AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL, AWS_REGION /
AWS_DEFAULT_REGION and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, as the AWS
SDKs read them; requests are signed with SigV4, so the same client works against spated and
AWS. Failures raise spate.Error subclasses; throttling, 5xx and connection failures are retried
with backoff first. The GIL is released during calls, and Ctrl-C interrupts a waiting call.)");
  cls.def(py::init([](std::optional<std::string> endpoint, std::optional<std::string> region,
                      std::optional<std::tuple<std::string, std::string, std::string>> creds,
                      double connect_timeout, double request_timeout, int max_attempts,
                      bool verify_tls, std::optional<std::string> ca_file) {
            client_options o;
            o.endpoint = endpoint.value_or("");
            o.region = region.value_or("");
            if (creds) {
              o.creds = {std::get<0>(*creds), std::get<1>(*creds), std::get<2>(*creds)};
            }
            o.connect_timeout = to_timeout(connect_timeout);
            o.request_timeout = to_timeout(request_timeout);
            if (max_attempts < 1) throw py::value_error("max_attempts must be at least 1");
            o.retry.max_attempts = max_attempts;
            o.verify_tls = verify_tls;
            o.ca_file = ca_file.value_or("");
            try {
              return client_handle{make_client(std::move(o))};
            } catch (const std::invalid_argument& e) {
              throw py::value_error(e.what());
            }
          }),
          py::arg("endpoint") = py::none(), py::arg("region") = py::none(),
          py::arg("credentials") = py::none(), py::kw_only(), py::arg("connect_timeout") = 3.0,
          py::arg("request_timeout") = 15.0, py::arg("max_attempts") = 8,
          py::arg("verify_tls") = true, py::arg("ca_file") = py::none());

#define SPATE_ACTION(name, doc) bind_action(cls, #name, &kinesis::name, doc)
  SPATE_ACTION(add_tags_to_stream, "AddTagsToStream(stream_name|stream_arn, tags)");
  SPATE_ACTION(create_stream, "CreateStream(stream_name, shard_count=None, mode=None, tags={})");
  SPATE_ACTION(decrease_stream_retention_period,
               "DecreaseStreamRetentionPeriod(stream_name|stream_arn, retention_period_hours)");
  SPATE_ACTION(delete_resource_policy, "DeleteResourcePolicy(resource_arn)");
  SPATE_ACTION(delete_stream, "DeleteStream(stream_name|stream_arn, enforce_consumer_deletion)");
  SPATE_ACTION(deregister_stream_consumer,
               "DeregisterStreamConsumer(consumer_arn | stream_arn + consumer_name)");
  SPATE_ACTION(describe_account_settings, "DescribeAccountSettings()");
  SPATE_ACTION(describe_limits, "DescribeLimits()");
  SPATE_ACTION(describe_stream,
               "DescribeStream(stream_name|stream_arn, limit=None, exclusive_start_shard_id='')");
  SPATE_ACTION(describe_stream_consumer,
               "DescribeStreamConsumer(consumer_arn | stream_arn + consumer_name)");
  SPATE_ACTION(describe_stream_summary, "DescribeStreamSummary(stream_name|stream_arn)");
  SPATE_ACTION(disable_enhanced_monitoring,
               "DisableEnhancedMonitoring(stream_name|stream_arn, shard_level_metrics)");
  SPATE_ACTION(enable_enhanced_monitoring,
               "EnableEnhancedMonitoring(stream_name|stream_arn, shard_level_metrics)");
  SPATE_ACTION(get_records, "GetRecords(shard_iterator, limit=None, stream_arn='')");
  SPATE_ACTION(get_resource_policy, "GetResourcePolicy(resource_arn)");
  SPATE_ACTION(get_shard_iterator,
               "GetShardIterator(stream_name|stream_arn, shard_id, position={'type': "
               "'TRIM_HORIZON'|'LATEST'|'AT_TIMESTAMP'|'AT_SEQUENCE_NUMBER'|"
               "'AFTER_SEQUENCE_NUMBER', 'sequence_number': str, 'timestamp_ms': int})");
  SPATE_ACTION(increase_stream_retention_period,
               "IncreaseStreamRetentionPeriod(stream_name|stream_arn, retention_period_hours)");
  SPATE_ACTION(list_shards,
               "ListShards(stream_name|stream_arn, next_token, exclusive_start_shard_id, "
               "max_results, stream_creation_timestamp_ms, filter)");
  SPATE_ACTION(list_stream_consumers, "ListStreamConsumers(stream_arn, next_token, max_results)");
  SPATE_ACTION(list_streams, "ListStreams(limit, exclusive_start_stream_name, next_token)");
  SPATE_ACTION(list_tags_for_resource, "ListTagsForResource(resource_arn)");
  SPATE_ACTION(list_tags_for_stream,
               "ListTagsForStream(stream_name|stream_arn, exclusive_start_tag_key, limit)");
  SPATE_ACTION(merge_shards,
               "MergeShards(stream_name|stream_arn, shard_to_merge, adjacent_shard_to_merge)");
  SPATE_ACTION(put_record,
               "PutRecord(stream_name|stream_arn, partition_key, data: bytes, "
               "explicit_hash_key='', sequence_number_for_ordering='')");
  SPATE_ACTION(put_records,
               "PutRecords(stream_name|stream_arn, records=[{'partition_key': str, 'data': "
               "bytes, 'explicit_hash_key': str}])");
  SPATE_ACTION(put_resource_policy, "PutResourcePolicy(resource_arn, policy)");
  SPATE_ACTION(register_stream_consumer, "RegisterStreamConsumer(stream_arn, consumer_name)");
  SPATE_ACTION(remove_tags_from_stream, "RemoveTagsFromStream(stream_name|stream_arn, tag_keys)");
  SPATE_ACTION(split_shard,
               "SplitShard(stream_name|stream_arn, shard_to_split, new_starting_hash_key)");
  SPATE_ACTION(start_stream_encryption,
               "StartStreamEncryption(stream_name|stream_arn, encryption='KMS', key_id)");
  SPATE_ACTION(stop_stream_encryption,
               "StopStreamEncryption(stream_name|stream_arn, encryption='KMS', key_id)");
  SPATE_ACTION(tag_resource, "TagResource(resource_arn, tags)");
  SPATE_ACTION(untag_resource, "UntagResource(resource_arn, tag_keys)");
  SPATE_ACTION(update_account_settings,
               "UpdateAccountSettings(minimum_throughput_billing_commitment)");
  SPATE_ACTION(update_max_record_size, "UpdateMaxRecordSize(stream_arn, max_record_size_kib)");
  SPATE_ACTION(update_shard_count,
               "UpdateShardCount(stream_name|stream_arn, target_shard_count, "
               "scaling='UNIFORM_SCALING')");
  SPATE_ACTION(update_stream_mode, "UpdateStreamMode(stream_arn, mode)");
  SPATE_ACTION(update_stream_warm_throughput,
               "UpdateStreamWarmThroughput(stream_name|stream_arn, warm_throughput_mibps)");
#undef SPATE_ACTION
  cls.def("subscribe_to_shard", &subscribe, py::arg("consumer_arn"), py::arg("shard_id"),
          py::arg("starting_position"), py::arg("on_event"),
          "SubscribeToShard: calls on_event(event_dict) on this thread for each event until it "
          "returns False, the shard ends or the subscription's 5 minutes are up; returns "
          "{'events': n}.");
  cls.def(
      "describe_stream_all",
      [](client_handle& self, std::optional<std::string> stream_name,
         std::optional<std::string> stream_arn) {
        stream_ref ref{stream_name.value_or(""), stream_arn.value_or("")};
        return to_py(
            unwrap(call_blocking([api = self.api, ref] { return describe_stream_all(*api, ref); },
                                 closer_of(self.api))));
      },
      py::kw_only(), py::arg("stream_name") = py::none(), py::arg("stream_arn") = py::none(),
      "DescribeStream, every page of shards gathered into one description dict.");

  py::class_<fake_handle, client_handle>(m, "FakeStream", R"(An in-process Kinesis for unit tests.

The same fake_stream the C++ library's tests use: MD5 hash-key routing, per-shard sequence
numbers, iterators, resharding with closed parents and child shards, consumers and
SubscribeToShard, spated's limits and error messages; no server, network or disk. It is a
Client, so every Producer, Consumer and Stream accepts it.)")
      .def(py::init([] {
        fake_handle h;
        h.fake = std::make_shared<fake_stream>();
        h.api = h.fake;
        return h;
      }))
      .def(
          "inject_call_failures",
          [](fake_handle& self, int n, const std::string& code, const std::string& message) {
            self.fake->inject_call_failures(n, error::from_name(code, message, 400));
          },
          py::arg("n"), py::arg("code") = "ProvisionedThroughputExceededException",
          py::arg("message") = "injected failure",
          "The next n calls (any action) fail with the AWS error named `code`.")
      .def(
          "inject_put_failures",
          [](fake_handle& self, std::vector<std::string> keys, int every) {
            if (every < 0) throw py::value_error("every must be >= 0");
            auto failing = std::make_shared<std::set<std::string>>(keys.begin(), keys.end());
            auto count = std::make_shared<std::atomic<long>>(0);
            self.fake->inject_put_failures([failing, count, every](const put_records_entry& e) {
              if (failing->count(e.partition_key)) return true;
              return every > 0 && ++*count % every == 0;
            });
          },
          py::arg("partition_keys") = std::vector<std::string>{}, py::arg("every") = 0,
          "PutRecords entries with one of these partition keys, and every `every`-th entry, "
          "are answered ProvisionedThroughputExceededException (not stored). Call with no "
          "arguments to stop.");
}

}  // namespace spate::python
