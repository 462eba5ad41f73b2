// spate reshard split|merge|scale: change a stream's shards and wait until it is ACTIVE again.
#include "command.h"

#include <thread>

namespace spate::cli {
namespace {

struct reshard_args {
  std::string stream;
  std::string shard;
  std::string other;
  std::string at;
  int count = 0;
};

void wait_active(client::kinesis& api, const std::string& stream) {
  for (int i = 0; i < 600; ++i) {
    auto d = must(api.describe_stream_summary({{stream, ""}}));
    if (d.summary.status == client::stream_status::active) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("timed out waiting for " + stream + " to become ACTIVE");
}

void print_open_shards(client::kinesis& api, const std::string& stream) {
  auto d = must(client::describe_stream_all(api, {stream, ""}));
  for (const auto& s : d.shards) {
    if (s.open())
      std::printf("%s %s..%s\n", s.shard_id.c_str(), s.hash_range.starting_hash_key.c_str(),
                  s.hash_range.ending_hash_key.c_str());
  }
}

}  // namespace

void add_reshard_command(CLI::App& app, const global_options& global) {
  auto* reshard = app.add_subcommand("reshard", "Split, merge or scale a stream's shards");
  reshard->require_subcommand(1);
  auto args = std::make_shared<reshard_args>();

  auto* split =
      reshard->add_subcommand("split", "Split a shard in two (at its midpoint by default)");
  split->add_option("stream", args->stream, "Stream name")->required();
  split->add_option("shard", args->shard, "Shard to split")->required();
  split->add_option("--at", args->at, "First hash key of the upper child (decimal)");
  split->callback([&global, args] {
    auto api = make_client(global);
    std::string at = args->at;
    if (at.empty()) {
      auto d = must(client::describe_stream_all(*api, {args->stream, ""}));
      for (const auto& s : d.shards) {
        if (s.shard_id == args->shard) at = client::hash_key_midpoint(s.hash_range);
      }
      if (at.empty())
        fail("shard " + args->shard + " not found in " + args->stream + " or cannot be split");
    }
    must(api->split_shard({{args->stream, ""}, args->shard, at}));
    wait_active(*api, args->stream);
    print_open_shards(*api, args->stream);
  });

  auto* merge = reshard->add_subcommand("merge", "Merge two adjacent shards");
  merge->add_option("stream", args->stream, "Stream name")->required();
  merge->add_option("shard", args->shard, "Shard to merge")->required();
  merge->add_option("adjacent", args->other, "The adjacent shard")->required();
  merge->callback([&global, args] {
    auto api = make_client(global);
    must(api->merge_shards({{args->stream, ""}, args->shard, args->other}));
    wait_active(*api, args->stream);
    print_open_shards(*api, args->stream);
  });

  auto* scale =
      reshard->add_subcommand("scale", "Set the number of open shards (UpdateShardCount)");
  scale->add_option("stream", args->stream, "Stream name")->required();
  scale->add_option("count", args->count, "Target open shard count")
      ->required()
      ->check(CLI::PositiveNumber);
  scale->callback([&global, args] {
    auto api = make_client(global);
    must(api->update_shard_count({{args->stream, ""}, args->count}));
    wait_active(*api, args->stream);
    print_open_shards(*api, args->stream);
  });
}

}  // namespace spate::cli
