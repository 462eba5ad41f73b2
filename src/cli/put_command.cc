// spate put: records from the arguments or from stdin (one per line), batched by the producer.
#include "command.h"

#include <spate/client/producer.h>

#include <deque>
#include <future>
#include <iostream>
#include <random>
#include <unistd.h>

namespace spate::cli {
namespace {

struct put_args {
  std::string stream;
  std::vector<std::string> records;
  std::string key;
  bool verbose = false;
  bool ordered = false;
  bool aggregate = false;
};

std::string random_key(std::mt19937_64& rng) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

void add_put_command(CLI::App& app, const global_options& global) {
  auto args = std::make_shared<put_args>();
  auto* put = app.add_subcommand("put", "Put records: the arguments, or each line of stdin");
  put->add_option("stream", args->stream, "Stream name")->required();
  put->add_option("records", args->records,
                  "Record data (none: read stdin, one record per line; the newline bytes are "
                  "not part of the records, so binary data needs arguments)");
  put->add_option("--key,-k", args->key,
                  "Partition key for every record (default: a random key each)");
  put->add_flag("--verbose,-v", args->verbose, "Print each record's shard and sequence number");
  put->add_flag("--ordered", args->ordered, "Keep per-key order strictly, even across retries");
  put->add_flag("--aggregate", args->aggregate, "Pack records into KPL aggregated records");
  put->callback([&global, args] {
    client::producer_options options;
    options.stream.stream_name = args->stream;
    options.ordered = args->ordered;
    options.aggregate = args->aggregate;
    options.linger = std::chrono::milliseconds(50);
    options.record_ttl = std::chrono::milliseconds(20'000);
    client::producer producer(make_client(global), options);

    std::mt19937_64 rng{std::random_device{}()};
    std::deque<std::future<client::outcome<client::put_result>>> pending;
    std::uint64_t ok = 0;
    std::uint64_t index = 0;
    std::string first_error;
    auto settle = [&](bool all) {
      // Results are read in order; a bounded window keeps memory flat on endless input.
      while (!pending.empty() && (all || pending.size() > 10'000)) {
        auto r = pending.front().get();
        pending.pop_front();
        if (!r) {
          if (first_error.empty()) first_error = r.err().to_string();
          continue;
        }
        ++ok;
        if (args->verbose) std::printf("%s %s\n", r->shard_id.c_str(), r->sequence_number.c_str());
      }
    };
    auto send = [&](std::string data) {
      pending.push_back(
          producer.put(args->key.empty() ? random_key(rng) : args->key, std::move(data)));
      ++index;
      settle(false);
    };
    if (!args->records.empty()) {
      for (auto& r : args->records) send(r);
    } else {
      // Someone at a terminal would otherwise wait for an answer that waits for them.
      if (::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "spate: reading records from stdin, one per line; end with Ctrl-D\n");
      }
      std::string line;
      while (std::getline(std::cin, line)) send(std::move(line));
    }
    producer.flush();
    settle(true);
    producer.close();
    std::string summary = "put " + std::to_string(ok) + " of " + std::to_string(index) +
                          " records to " + args->stream;
    if (ok != index) fail(summary + "; " + first_error);
    std::fprintf(stderr, "%s\n", summary.c_str());
  });
}

}  // namespace spate::cli
