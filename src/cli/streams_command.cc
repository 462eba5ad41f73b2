// spate streams create|list|describe|delete: the life of a stream.
#include "command.h"
#include "progress.h"

#include <chrono>
#include <ctime>
#include <thread>

namespace spate::cli {
namespace {

std::string format_time(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Polls until the stream is ACTIVE (or gone, for a delete), for up to `seconds`; on a
// terminal, says what it waits for.
void wait_for(client::kinesis& api, const std::string& name, bool gone, int seconds) {
  progress shown;
  const std::string what = "waiting for " + name + (gone ? " to be deleted" : " to be ACTIVE");
  for (int i = 0; i < seconds * 10; ++i) {
    auto d = api.describe_stream_summary({{name, ""}});
    const bool missing = !d && d.err().code == client::error_code::resource_not_found;
    if (gone && missing) return;
    if (!gone && d && d->summary.status == client::stream_status::active) return;
    if (!d && !missing) fail(d.err());
    shown.update(what + " (" + std::to_string(shown.elapsed().count()) + " s)");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("timed out waiting for stream " + name + (gone ? " to be deleted" : " to become ACTIVE"));
}

}  // namespace

void add_streams_command(CLI::App& app, const global_options& global) {
  auto* streams = app.add_subcommand("streams", "Create, list, describe and delete streams");
  streams->require_subcommand(1);

  struct create_args {
    std::string name;
    int shards = 1;
    bool on_demand = false;
    bool no_wait = false;
  };
  auto create = std::make_shared<create_args>();
  auto* c = streams->add_subcommand("create", "Create a stream and wait until it is ACTIVE");
  c->add_option("name", create->name, "Stream name")->required();
  c->add_option("--shards,-s", create->shards, "Number of shards")->check(CLI::PositiveNumber);
  c->add_flag("--on-demand", create->on_demand, "On-demand capacity mode instead of provisioned");
  c->add_flag("--no-wait", create->no_wait, "Return without waiting for ACTIVE");
  c->callback([&global, create] {
    auto api = make_client(global);
    client::create_stream_request req;
    req.stream_name = create->name;
    if (!create->on_demand) req.shard_count = create->shards;
    if (create->on_demand) req.mode = client::stream_mode::on_demand;
    must(api->create_stream(req));
    if (!create->no_wait) wait_for(*api, create->name, false, 60);
    std::printf("created %s\n", create->name.c_str());
  });

  auto* l = streams->add_subcommand(
      "list", "List the streams, one name per line (none: a note on stderr, nothing on stdout)");
  l->callback([&global] {
    auto api = make_client(global);
    client::list_streams_request req;
    bool any = false;
    for (;;) {
      auto page = must(api->list_streams(req));
      for (const auto& n : page.stream_names) std::printf("%s\n", n.c_str());
      any = any || !page.stream_names.empty();
      if (!any && !page.has_more_streams) std::fprintf(stderr, "spate: no streams\n");
      if (!page.has_more_streams || page.stream_names.empty()) break;
      req = {};
      if (!page.next_token.empty()) {
        req.next_token = page.next_token;
      } else {
        req.exclusive_start_stream_name = page.stream_names.back();
      }
    }
  });

  auto describe_name = std::make_shared<std::string>();
  auto* d = streams->add_subcommand("describe", "Show a stream and its shards");
  d->add_option("name", *describe_name, "Stream name")->required();
  d->callback([&global, describe_name] {
    auto api = make_client(global);
    auto s = must(client::describe_stream_all(*api, {*describe_name, ""}));
    int open = 0;
    for (const auto& sh : s.shards) open += sh.open() ? 1 : 0;
    std::printf(
        "name       %s\narn        %s\nstatus     %s\nmode       %s\nretention  %d h\ncreated    "
        "%s\n"
        "shards     %d open, %zu in all\n\n",
        s.stream_name.c_str(), s.stream_arn.c_str(), std::string(to_string(s.status)).c_str(),
        std::string(to_string(s.mode)).c_str(), s.retention_period_hours,
        format_time(s.created_ms).c_str(), open, s.shards.size());
    std::printf("%-21s %-7s %-45s %s\n", "SHARD", "STATE", "PARENTS", "HASH KEY RANGE");
    for (const auto& sh : s.shards) {
      std::string parents = sh.parent_shard_id;
      if (!sh.adjacent_parent_shard_id.empty()) parents += "," + sh.adjacent_parent_shard_id;
      std::printf("%-21s %-7s %-45s %s..%s\n", sh.shard_id.c_str(), sh.open() ? "open" : "closed",
                  parents.empty() ? "-" : parents.c_str(), sh.hash_range.starting_hash_key.c_str(),
                  sh.hash_range.ending_hash_key.c_str());
    }
  });

  struct delete_args {
    std::string name;
    bool force = false;
    bool no_wait = false;
  };
  auto del = std::make_shared<delete_args>();
  auto* x = streams->add_subcommand("delete", "Delete a stream and its records");
  x->add_option("name", del->name, "Stream name")->required();
  x->add_flag("--force", del->force,
              "Also delete its registered consumers (EnforceConsumerDeletion)");
  x->add_flag("--no-wait", del->no_wait, "Return without waiting for the deletion to finish");
  x->callback([&global, del] {
    auto api = make_client(global);
    must(api->delete_stream({{del->name, ""}, del->force}));
    if (!del->no_wait) wait_for(*api, del->name, true, 60);
    std::printf("deleted %s\n", del->name.c_str());
  });
}

}  // namespace spate::cli
