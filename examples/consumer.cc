// The smallest useful consumer: reads every shard of a stream as application "example",
// checkpointing in a SQLite file, and prints each record until it has seen COUNT records
// (or forever without COUNT). Usage: spate-example-consumer STREAM CHECKPOINT_DB [COUNT]
#include <spate/client/consumer.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  // --help (or -h) is a request for the usage, not a stream name; other options are mistakes.
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: %s STREAM CHECKPOINT_DB [COUNT]\n", argv[0]);
    return 0;
  }
  if (argc < 3 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s STREAM CHECKPOINT_DB [COUNT]\n", argv[0]);
    return 2;
  }
  const long wanted = argc > 3 ? std::stol(argv[3]) : -1;

  auto checkpoints = spate::client::make_sqlite_checkpointer(argv[2]);
  if (!checkpoints) {
    std::fprintf(stderr, "%s\n", checkpoints.err().to_string().c_str());
    return 1;
  }
  spate::client::consumer_options options;
  options.application = "example";
  options.stream.stream_name = argv[1];
  options.checkpoints = *checkpoints;

  std::atomic<long> seen{0};
  std::mutex print_mu;  // the handler runs on one thread per shard
  spate::client::consumer consumer(spate::client::make_client(), options,
                                   [&](const spate::client::record_batch& batch) {
                                     std::lock_guard lock(print_mu);
                                     for (const auto& r : batch.records) {
                                       std::printf("%s %s %s\n", batch.shard_id.c_str(),
                                                   r.partition_key.c_str(), r.data.c_str());
                                     }
                                     std::fflush(stdout);
                                     seen += static_cast<long>(batch.records.size());
                                   });
  consumer.start();
  if (wanted < 0) {
    auto result = consumer.wait();  // until the consumer fails
    std::fprintf(stderr, "%s\n", result ? "stopped" : result.err().to_string().c_str());
    return result ? 0 : 1;
  }
  while (seen < wanted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  consumer.stop();  // final checkpoints, leases released
  return 0;
}
