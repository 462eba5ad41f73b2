// spate checkpoints: a consumer group's shards as its checkpoint store holds them - each
// shard's checkpoint, lease owner, pending handover and last renewal. It opens an existing store
// only: a wrong --store (or none, in a directory without the default file) is an error, never
// a new empty store.
#include "command.h"

#include <spate/client/checkpointer.h>

#include <chrono>

namespace spate::cli {
namespace {

struct checkpoints_args {
  std::string application;
  std::string stream;
  std::string store = "sqlite:spate-checkpoints.db";
  bool clear = false;
};

std::string age(std::int64_t renewed_ms) {
  if (renewed_ms == 0) return "-";
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs ago", static_cast<double>(now - renewed_ms) / 1000.0);
  return buf;
}

}  // namespace

void add_checkpoints_command(CLI::App& app, const global_options&) {
  auto args = std::make_shared<checkpoints_args>();
  auto* cmd =
      app.add_subcommand("checkpoints", "Show a consumer group's checkpoints and lease owners");
  cmd->add_option("application", args->application, "Consumer group (application) name")
      ->required();
  cmd->add_option("stream", args->stream, "Stream name")->required();
  cmd->add_option("--store", args->store,
                  "Checkpoint store: sqlite:PATH (default sqlite:spate-checkpoints.db), "
                  "redis://HOST:PORT[/DB]");
  cmd->add_flag("--clear", args->clear, "Delete the group's checkpoints and leases (start over)");
  cmd->callback([args] {
    auto store = must(client::open_checkpointer(args->store, client::store_open::existing_only));
    const std::string group = client::group_key(args->application, args->stream);
    if (args->clear) {
      must(store->clear(group));
      std::printf("cleared %s\n", group.c_str());
      return;
    }
    auto entries = must(store->list(group));
    if (entries.empty()) fail("no checkpoints for " + group + " in " + args->store);
    std::printf("%-21s %-58s %-34s %-12s %s\n", "SHARD", "CHECKPOINT", "OWNER", "RENEWED",
                "PARENTS");
    for (const auto& e : entries) {
      std::string parents;
      for (const auto& p : e.parent_shard_ids) parents += (parents.empty() ? "" : ",") + p;
      std::string owner = e.owner.empty() ? "-" : e.owner;
      if (!e.pending_owner.empty()) owner += " -> " + e.pending_owner;
      std::printf("%-21s %-58s %-34s %-12s %s\n", e.shard_id.c_str(),
                  e.checkpoint.empty() ? "(initial position)" : e.checkpoint.c_str(), owner.c_str(),
                  age(e.renewed_ms).c_str(), parents.empty() ? "-" : parents.c_str());
    }
  });
}

}  // namespace spate::cli
