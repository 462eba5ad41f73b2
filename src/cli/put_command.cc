// spate put: records from the arguments, from files (one record each) or from stdin (split at a
// delimiter, newline by default), batched by the producer.
#include "command.h"

#include <spate/client/producer.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <sstream>
#include <unistd.h>

namespace spate::cli {
namespace {

struct put_args {
  std::string stream;
  std::vector<std::string> records;
  std::vector<std::string> files;
  std::string delimiter = "\\n";
  bool null = false;
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

// "\n", "\t", "\0", "\\" or one plain character: the byte that separates records on stdin.
char parse_delimiter(const std::string& text) {
  if (text.size() == 1) return text[0];
  if (text.size() == 2 && text[0] == '\\') {
    switch (text[1]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '0':
        return '\0';
      case '\\':
        return '\\';
      default:
        break;
    }
  }
  fail("--delimiter must be one character or \\n, \\t, \\0, \\\\, not '" + text + "'");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream data;
  data << in.rdbuf();
  if (in.bad()) fail("cannot read " + path);
  return std::move(data).str();
}

}  // namespace

void add_put_command(CLI::App& app, const global_options& global) {
  auto args = std::make_shared<put_args>();
  auto* put = app.add_subcommand(
      "put", "Put records: the arguments, each --file, or else stdin split at newlines");
  put->add_option("stream", args->stream, "Stream name")->required();
  put->add_option("records", args->records,
                  "Record data (none and no --file: read stdin, split at --delimiter, which is "
                  "not part of the records)");
  put->add_option("--file", args->files,
                  "A file whose whole content is one record, bytes as they are (repeat for "
                  "more; binary data is safe)")
      ->check(CLI::ExistingFile);
  put->add_option("--delimiter,-d", args->delimiter,
                  "The byte that separates records on stdin: one character, or \\n, \\t, \\0")
      ->capture_default_str();
  put->add_flag("--null", args->null,
                "Records on stdin end with a NUL byte (as find -print0 writes), not a newline");
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
    const char delimiter = args->null ? '\0' : parse_delimiter(args->delimiter);
    auto api = make_client(global);
    // A wrong name or a server that is down fails here, at once, not after the producer's
    // retries have run out.
    must(api->describe_stream_summary({{args->stream, ""}}));
    client::producer producer(api, options);

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
    if (!args->records.empty() || !args->files.empty()) {
      for (auto& r : args->records) send(r);
      for (const auto& path : args->files) send(read_file(path));
    } else {
      // Someone at a terminal would otherwise wait for an answer that waits for them.
      if (::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "spate: reading records from stdin, %s; end with Ctrl-D\n",
                     delimiter == '\n' ? "one per line" : "split at --delimiter");
      }
      std::string record;
      while (std::getline(std::cin, record, delimiter)) send(std::move(record));
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
