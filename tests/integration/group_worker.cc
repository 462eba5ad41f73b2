// spate-test-worker: one consumer-group worker for the integration tests, built on the public
// client API. It logs, one line each, to --log (appended, flushed per batch):
//   S <mono_ns> <shard>                 started processing a shard
//   E <mono_ns> <shard>                 stopped processing it
//   R <mono_ns> <shard> <seq> <key> <data>   handled a record
//   W <mono_ns> <shard> <version> <owner> <pending_owner> <checkpoint>
//                                       the store took this worker's write of a shard's entry
//                                       (empty fields as "-"), logged once the store answered
//   F <mono_ns> <list|cas>              a store call failed (unreachable store, say)
// where mono_ns is CLOCK_MONOTONIC (shared by every process on the machine), so the test can
// order the events of several workers. SIGTERM/SIGINT stop it cleanly (final checkpoints,
// leases released) with exit 0; SIGKILL is the crash case.
#include <spate/client/consumer.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) {
  stop_requested = true;
}

long long mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

// Passes every call to the real store and logs the writes it took and the calls that failed,
// so a test sees each checkpoint and lease change as stored, not only as attempted.
class logging_store final : public spate::client::checkpointer {
 public:
  logging_store(std::shared_ptr<spate::client::checkpointer> inner,
                std::function<void(const std::string&)> line)
      : inner_(std::move(inner)), line_(std::move(line)) {}

  spate::client::outcome<std::vector<spate::client::shard_lease>> list(
      const std::string& group) override {
    auto r = inner_->list(group);
    if (!r.ok()) line_("F " + std::to_string(mono_ns()) + " list\n");
    return r;
  }

  spate::client::outcome<bool> compare_and_set(const std::string& group,
                                               const spate::client::shard_lease& entry,
                                               std::uint64_t expected_version) override {
    auto r = inner_->compare_and_set(group, entry, expected_version);
    if (!r.ok()) {
      line_("F " + std::to_string(mono_ns()) + " cas\n");
    } else if (*r) {
      line_("W " + std::to_string(mono_ns()) + " " + entry.shard_id + " " +
            std::to_string(expected_version + 1) + " " + field(entry.owner) + " " +
            field(entry.pending_owner) + " " + field(entry.checkpoint) + "\n");
    }
    return r;
  }

  spate::client::outcome<void> clear(const std::string& group) override {
    return inner_->clear(group);
  }

 private:
  static std::string field(const std::string& s) { return s.empty() ? "-" : s; }

  std::shared_ptr<spate::client::checkpointer> inner_;
  std::function<void(const std::string&)> line_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace spate::client;
  const std::string stream = arg(argc, argv, "--stream", "");
  const std::string log_path = arg(argc, argv, "--log", "");
  if (stream.empty() || log_path.empty()) {
    std::fprintf(stderr,
                 "usage: %s --stream S --log FILE [--endpoint URL] [--app A] [--store URI] "
                 "[--worker-id ID] [--lease-ms N] [--checkpoint-ms N] [--efo-consumer ARN]\n",
                 argv[0]);
    return 2;
  }
  auto store = open_checkpointer(arg(argc, argv, "--store", "memory:"));
  if (!store) {
    std::fprintf(stderr, "%s\n", store.err().to_string().c_str());
    return 1;
  }
  FILE* log = std::fopen(log_path.c_str(), "a");
  if (!log) return 1;
  std::mutex log_mu;
  auto line = [&](const std::string& text) {
    std::lock_guard lock(log_mu);
    std::fputs(text.c_str(), log);
    std::fflush(log);
  };

  client_options client;
  client.endpoint = arg(argc, argv, "--endpoint", "");
  consumer_options options;
  options.application = arg(argc, argv, "--app", "test-app");
  options.stream.stream_name = stream;
  options.worker_id = arg(argc, argv, "--worker-id", "");
  options.checkpoints = std::make_shared<logging_store>(*store, line);
  options.efo_consumer_arn = arg(argc, argv, "--efo-consumer", "");
  options.lease_duration =
      std::chrono::milliseconds(std::stol(arg(argc, argv, "--lease-ms", "3000")));
  options.checkpoint_interval =
      std::chrono::milliseconds(std::stol(arg(argc, argv, "--checkpoint-ms", "500")));
  options.shard_sync_interval = std::chrono::milliseconds(1000);
  options.idle_poll_interval = std::chrono::milliseconds(50);
  options.on_shard = [&](const std::string& shard, bool processing) {
    line(std::string(processing ? "S " : "E ") + std::to_string(mono_ns()) + " " + shard + "\n");
  };

  consumer worker(make_client(client), options, [&](const record_batch& batch) {
    std::string text;
    for (const auto& r : batch.records) {
      text += "R " + std::to_string(mono_ns()) + " " + batch.shard_id + " " + r.sequence_number +
              " " + r.partition_key + " " + r.data + "\n";
    }
    line(text);
  });
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  worker.start();
  std::fprintf(stderr, "worker %s started\n", worker.worker_id().c_str());
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  worker.stop();
  std::fclose(log);
  return 0;
}
