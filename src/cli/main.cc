// spate: the command-line tool for spated and AWS Kinesis - streams, put, tail, reshard and
// checkpoints. Each subcommand lives in its own file; this one parses and dispatches.
//
// Exit status: 0 on success (and for --help), 1 when a command failed, 2 for a usage error.
// Every failure is one line on stderr starting "spate: "; a usage error also names the help
// to read ("spate: stream is required (see spate tail --help)").
#include "command.h"
#include "common/version.h"  // generated; constants only (the CLI links the client alone)

#include <string>
#include <vector>

namespace spate::cli {

namespace {

client::client_options cli_options(const global_options& global) {
  client::client_options options;
  options.endpoint = global.endpoint;
  options.region = global.region;
  options.retry.max_attempts = 1 + global.retries;  // a person is waiting: fail within seconds
  options.connect_timeout = std::chrono::milliseconds(2000);
  return options;
}

}  // namespace

std::string resolved_endpoint(const global_options& global) {
  try {
    return client::resolve_options(cli_options(global)).endpoint;
  } catch (const std::invalid_argument&) {
    return global.endpoint;
  }
}

std::shared_ptr<client::kinesis> make_client(const global_options& global) {
  auto options = cli_options(global);
  try {
    return client::make_client(options);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

namespace {

// The command line's deepest subcommand that was recognized before the error.
const CLI::App& deepest(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  return *at;
}

// That subcommand as typed ("spate streams create"), so the hint points at the right help.
std::string command_path(const CLI::App& app) {
  std::string path = "spate";
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  return path;
}

// A CLI11 parse error as one line: its message with any line breaks folded.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace
}  // namespace spate::cli

int main(int argc, char** argv) {
  using namespace spate::cli;
  CLI::App app{
      "spate: streams, records, resharding and consumer checkpoints on spated or AWS Kinesis",
      "spate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "spate " + std::string(spate::version) + " (commit " +
                                        std::string(spate::commit) + ")");
  global_options global;
  app.add_option("--endpoint", global.endpoint,
                 "Kinesis endpoint URL (default: $AWS_ENDPOINT_URL_KINESIS, $AWS_ENDPOINT_URL, "
                 "else http://127.0.0.1:4567)");
  app.add_option("--region", global.region, "AWS region (default: $AWS_REGION, else us-east-1)");
  app.add_option("--retries", global.retries,
                 "Retries of a call that failed for a reason worth retrying (throttled, 5xx, "
                 "server unreachable), with backoff, before the command gives up; raise it "
                 "to ride out a restart")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();

  add_streams_command(app, global);
  add_put_command(app, global);
  add_tail_command(app, global);
  add_reshard_command(app, global);
  add_checkpoints_command(app, global);
  add_backup_command(app, global);
  add_mirror_command(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends are "errors" with exit code 0: CLI11 prints the help to stdout.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::string what = one_line(e.what());
    // CLI11 says "A subcommand is required" for a mistyped one; name the word instead.
    const CLI::App& at = deepest(app);
    std::vector<std::string> extra = at.remaining();
    if (extra.empty()) extra = app.remaining();
    if (e.get_name() == "RequiredError" && at.get_require_subcommand_min() > 0 && !extra.empty()) {
      what = "unknown command '" + extra.front() + "'";
    }
    std::fprintf(stderr, "spate: %s (see %s --help)\n", what.c_str(), command_path(app).c_str());
    return 2;
  } catch (const command_failure& e) {
    std::string hint;
    if (e.unreachable) {
      hint = " (is spated running at " + resolved_endpoint(global) +
             "? --endpoint or AWS_ENDPOINT_URL choose another; --retries N waits longer)";
    }
    // One line, whatever the message held (AWS's signature errors carry line breaks).
    std::fprintf(stderr, "spate: %s%s\n", one_line(e.message).c_str(), hint.c_str());
    return 1;
  }
  return 0;
}
