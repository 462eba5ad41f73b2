// spate tail [-f]: prints a stream's records from every shard - parents before children, so it
// follows splits and merges - starting at TRIM_HORIZON, LATEST or a time. Without -f it stops
// once the stream has been quiet for --idle; with -f it runs until interrupted. Either way it
// ends with one error line and status 1 when the stream is deleted under it, or when the
// endpoint has not answered for `give_up_unreachable`.
//
// Shards are read side by side, so records print in each shard's order, shards interleaved as
// they are read. `-n N` without -f prints the first N by arrival time across all shards: it
// keeps each shard's first N, reads to the end (with a count on a terminal), then merges.
#include "command.h"
#include "consumer_run.h"
#include "progress.h"

#include <spate/client/consumer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

namespace spate::cli {
namespace {

// Long enough to ride out a spated restart, short enough for a person waiting at a terminal.
constexpr std::chrono::milliseconds give_up_unreachable{5000};

struct tail_args {
  std::string stream;
  bool follow = false;
  std::string from = "trim_horizon";
  std::string format = "raw";
  long limit = 0;
  int idle_ms = 1000;
};

client::start_position parse_from(const std::string& from) {
  if (from == "trim_horizon" || from == "TRIM_HORIZON")
    return client::start_position::trim_horizon();
  if (from == "latest" || from == "LATEST") return client::start_position::latest();
  // Epoch seconds (fractional allowed) or ISO 8601 UTC: 2026-11-22T06:00:00Z.
  char* end = nullptr;
  double seconds = std::strtod(from.c_str(), &end);
  if (end && *end == '\0' && !from.empty()) {
    return client::start_position::at_timestamp(static_cast<std::int64_t>(seconds * 1000));
  }
  std::tm tm{};
  const char* rest = strptime(from.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest || (*rest != '\0' && std::string(rest) != "Z")) {
    fail("--from must be trim_horizon, latest, epoch seconds or YYYY-MM-DDTHH:MM:SSZ, not '" +
         from + "'");
  }
  return client::start_position::at_timestamp(static_cast<std::int64_t>(timegm(&tm)) * 1000);
}

bool valid_utf8(const std::string& s) {
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t') return false;  // control bytes: not text worth printing
      ++i;
      continue;
    }
    const int extra = (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + extra >= n) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += 1 + extra;
  }
  return true;
}

std::string hex(const std::string& s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void print(const std::string& format, const std::string& shard, const client::record& r) {
  if (format == "raw") {
    std::fwrite(r.data.data(), 1, r.data.size(), stdout);
    std::fputc('\n', stdout);
  } else if (format == "hex") {
    std::printf("%s %s %s %s\n", shard.c_str(), r.sequence_number.c_str(), r.partition_key.c_str(),
                hex(r.data).c_str());
  } else {
    const bool text = valid_utf8(r.data);
    std::printf(
        "{\"shardId\":%s,\"sequenceNumber\":%s,\"subSequenceNumber\":%u,\"partitionKey\":%s,"
        "\"arrivalMs\":%lld,\"%s\":%s}\n",
        json_string(shard).c_str(), json_string(r.sequence_number).c_str(), r.sub_sequence,
        json_string(r.partition_key).c_str(), static_cast<long long>(r.arrival_ms),
        text ? "data" : "dataHex", json_string(text ? r.data : hex(r.data)).c_str());
  }
}

}  // namespace

void add_tail_command(CLI::App& app, const global_options& global) {
  auto args = std::make_shared<tail_args>();
  auto* tail =
      app.add_subcommand("tail", "Print a stream's records, all shards, following resharding");
  tail->add_option("stream", args->stream, "Stream name")->required();
  tail->add_flag("--follow,-f", args->follow,
                 "Keep printing new records until interrupted (or the stream is deleted)");
  tail->add_option("--from", args->from,
                   "trim_horizon (default), latest, epoch seconds or YYYY-MM-DDTHH:MM:SSZ");
  tail->add_option("--format", args->format, "raw (data only), json (one object per line) or hex")
      ->check(CLI::IsMember({"raw", "json", "hex"}));
  tail->add_option("--limit,-n", args->limit,
                   "Print this many records: without -f the first N by arrival time across "
                   "all shards (the stream is read to its end); with -f the first N read");
  tail->add_option("--idle", args->idle_ms, "Without -f: stop after this many quiet milliseconds");
  tail->callback([&global, args] {
    client::consumer_options options;
    options.initial_position = parse_from(args->from);
    options.application = "spate-tail";
    options.stream.stream_name = args->stream;
    auto api = make_client(global);
    must(api->describe_stream_summary({{args->stream, ""}}));  // a clear error for a wrong name
    options.idle_poll_interval = std::chrono::milliseconds(100);
    options.shard_sync_interval = std::chrono::milliseconds(1000);
    options.lease_duration = std::chrono::milliseconds(3000);
    options.unreachable_timeout = give_up_unreachable;

    // -n without -f: each shard's first `limit` records, merged by arrival at the end.
    const bool first_n = args->limit > 0 && !args->follow;
    struct kept {
      std::int64_t arrival_ms;
      std::size_t shard_order;  // shards in the order they were first read
      std::string shard_id;
      client::record record;
    };
    std::vector<kept> first;
    std::map<std::string, long> kept_of_shard;
    std::uint64_t read = 0;
    progress counting;

    std::mutex out_mu;
    std::atomic<long> printed{0};
    std::atomic<std::int64_t> last_activity{0};
    last_activity = steady_ms();
    client::consumer consumer(api, options, [&](const client::record_batch& batch) {
      std::lock_guard lock(out_mu);
      last_activity = steady_ms();
      if (first_n) {
        const auto order = kept_of_shard.size();
        long& kept_here = kept_of_shard.try_emplace(batch.shard_id, 0).first->second;
        for (const auto& r : batch.records) {
          if (kept_here >= args->limit) break;
          first.push_back({r.arrival_ms, order, batch.shard_id, r});
          ++kept_here;
        }
        read += batch.records.size();
        counting.update("read " + with_commas(read) + " records from " +
                        std::to_string(kept_of_shard.size()) + " shards");
        return;
      }
      for (const auto& r : batch.records) {
        if (args->limit > 0 && printed >= args->limit) break;
        print(args->format, batch.shard_id, r);
        ++printed;
      }
      std::fflush(stdout);
      last_activity = steady_ms();
    });
    auto result = run_consumer(consumer, [&] {
      return (!first_n && args->limit > 0 && printed >= args->limit) ||
             (!args->follow && steady_ms() - last_activity >= args->idle_ms);
    });
    if (!result) fail(result.err());
    if (first_n) {
      // Within a shard, records already are in arrival order; the sort keeps it (stable).
      std::stable_sort(first.begin(), first.end(), [](const kept& a, const kept& b) {
        return std::tie(a.arrival_ms, a.shard_order) < std::tie(b.arrival_ms, b.shard_order);
      });
      if (first.size() > static_cast<std::size_t>(args->limit)) first.resize(args->limit);
      for (const auto& k : first) print(args->format, k.shard_id, k.record);
      std::fflush(stdout);
    }
  });
}

}  // namespace spate::cli
