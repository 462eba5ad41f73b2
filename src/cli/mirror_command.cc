// spate mirror SRC_STREAM --to-endpoint URL [--to-stream NAME]: copies a stream's records to a
// stream of another Kinesis endpoint (another spated, or AWS Kinesis when one machine is no
// longer enough; docs/aws.md), then stops once it has caught up, or with --follow keeps
// copying new records until interrupted.
//
// Order: the source is read by a consumer (parents before children, each shard in order), and
// each batch goes out through a producer in `ordered` mode (a key never has two records in
// flight) and is waited for before the next batch of that shard is read, so the records of a
// partition key arrive at the target in the source's order, across resharding. A shard's
// batches go one after another; shards go side by side.
// Resuming: positions are checkpointed in an SQLite file after every batch the target
// acknowledged (--checkpoint, default ./spate-mirror-STREAM.db); a later run goes on from
// there. A run that is killed copies its last batch again on the next run (at least once).
// The target stream is created with the source's open shard count if it does not exist.
#include "command.h"
#include "consumer_run.h"
#include "progress.h"

#include <spate/client/consumer.h>
#include <spate/client/producer.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

namespace spate::cli {
namespace {

struct mirror_args {
  std::string stream;
  std::string to_endpoint;
  std::string to_stream;
  std::string to_region;
  std::string checkpoint;
  bool follow = false;
  int idle_ms = 2000;
};

// The target stream, created like the source if it is missing; waits until it takes writes.
void ensure_target(client::kinesis& source, client::kinesis& target, const mirror_args& args) {
  auto existing = target.describe_stream_summary({{args.to_stream, ""}});
  if (!existing && existing.err().code != client::error_code::resource_not_found) {
    fail("the target: " + existing.err().to_string());
  }
  if (!existing) {
    const auto from = must(source.describe_stream_summary({{args.stream, ""}}));
    client::create_stream_request req;
    req.stream_name = args.to_stream;
    if (from.summary.mode == client::stream_mode::on_demand) {
      req.mode = client::stream_mode::on_demand;
    } else {
      req.shard_count = from.summary.open_shard_count;
    }
    auto created = target.create_stream(req);
    if (!created && created.err().code != client::error_code::resource_in_use) {
      fail("creating the target stream: " + created.err().to_string());
    }
    std::fprintf(stderr, "spate: created %s on %s with %d shards\n", args.to_stream.c_str(),
                 args.to_endpoint.c_str(), from.summary.open_shard_count);
  }
  progress shown;
  for (int i = 0; i < 600; ++i) {
    auto d = target.describe_stream_summary({{args.to_stream, ""}});
    if (d && (d->summary.status == client::stream_status::active ||
              d->summary.status == client::stream_status::updating)) {
      return;
    }
    shown.update("waiting for " + args.to_stream + " to be ACTIVE (" +
                 std::to_string(shown.elapsed().count()) + " s)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("the target stream " + args.to_stream + " did not become ACTIVE within a minute");
}

}  // namespace

void add_mirror_command(CLI::App& app, const global_options& global) {
  auto args = std::make_shared<mirror_args>();
  auto* mirror = app.add_subcommand(
      "mirror",
      "Copy a stream's records to a stream of another Kinesis endpoint (spated or AWS), in "
      "order per partition key, resuming from a checkpoint file");
  mirror->add_option("stream", args->stream, "The source stream (on --endpoint)")->required();
  mirror
      ->add_option("--to-endpoint", args->to_endpoint,
                   "The target's endpoint URL (https://kinesis.REGION.amazonaws.com for AWS); "
                   "credentials come from the environment, as for the source")
      ->required();
  mirror->add_option("--to-stream", args->to_stream, "The target stream (default: the same name)");
  mirror->add_option("--to-region", args->to_region, "The target's region (default: --region)");
  mirror->add_option("--checkpoint", args->checkpoint,
                     "SQLite file of the positions copied so far (default: "
                     "./spate-mirror-STREAM.db); a later run resumes from it");
  mirror->add_flag("--follow,-f", args->follow,
                   "Keep copying new records until interrupted, instead of stopping once caught "
                   "up");
  mirror
      ->add_option("--idle", args->idle_ms,
                   "Without -f: stop after this many milliseconds with nothing new to copy")
      ->capture_default_str();
  mirror->callback([&global, args] {
    if (args->to_stream.empty()) args->to_stream = args->stream;
    if (args->checkpoint.empty()) args->checkpoint = "spate-mirror-" + args->stream + ".db";
    auto source = make_client(global);
    must(source->describe_stream_summary({{args->stream, ""}}));  // a clear error for a typo
    global_options to = global;
    to.endpoint = args->to_endpoint;
    if (!args->to_region.empty()) to.region = args->to_region;
    to.retries = std::max(global.retries, 8);  // the target may throttle: ride it out
    auto target = make_client(to);
    ensure_target(*source, *target, *args);

    auto checkpoints = client::open_checkpointer("sqlite:" + args->checkpoint);
    if (!checkpoints)
      fail("--checkpoint " + args->checkpoint + ": " + checkpoints.err().to_string());

    client::producer_options out_options;
    out_options.stream.stream_name = args->to_stream;
    out_options.ordered = true;
    out_options.linger = std::chrono::milliseconds(5);
    out_options.record_ttl = std::chrono::milliseconds(120'000);
    client::producer out(target, out_options);

    client::consumer_options in_options;
    in_options.application = "spate-mirror:" + args->to_endpoint + "/" + args->to_stream;
    in_options.stream.stream_name = args->stream;
    in_options.checkpoints = *checkpoints;
    in_options.idle_poll_interval = std::chrono::milliseconds(100);
    in_options.shard_sync_interval = std::chrono::milliseconds(1000);
    in_options.lease_duration = std::chrono::milliseconds(3000);
    in_options.checkpoint_every_records = 1;  // after every batch the target took
    in_options.unreachable_timeout = std::chrono::milliseconds(30'000);

    std::atomic<std::uint64_t> copied{0};
    std::atomic<std::int64_t> last_activity{0};
    last_activity = steady_ms();
    client::consumer consumer(source, in_options, [&](const client::record_batch& batch) {
      last_activity = steady_ms();
      std::vector<std::future<client::outcome<client::put_result>>> sent;
      sent.reserve(batch.records.size());
      for (const auto& r : batch.records) sent.push_back(out.put(r.partition_key, r.data));
      for (auto& f : sent) {
        auto result = f.get();
        // Unhandled, so not checkpointed: the next run copies this batch again.
        if (!result)
          throw std::runtime_error("the target refused a record: " + result.err().to_string());
      }
      copied += batch.records.size();
      last_activity = steady_ms();
    });
    progress shown;
    auto result = run_consumer(consumer, [&] {
      shown.update("mirrored " + with_commas(copied) + " records to " + args->to_stream);
      return !args->follow && steady_ms() - last_activity >= args->idle_ms;
    });
    out.close();
    if (!result) fail(result.err());
    std::fprintf(stderr, "spate: mirrored %s records from %s to %s on %s\n",
                 with_commas(copied).c_str(), args->stream.c_str(), args->to_stream.c_str(),
                 args->to_endpoint.c_str());
  });
}

}  // namespace spate::cli
