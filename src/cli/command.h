// The pieces every `spate` subcommand shares: global options, the client they make, and the one
// way a command reports failure (one line on stderr, exit status 1). The CLI is built on the
// public client API only (include/spate/client/), as any application would be.
#pragma once

#include <spate/client/client.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace spate::cli {

struct global_options {
  std::string endpoint;  // empty: AWS_ENDPOINT_URL(_KINESIS), else the local spated
  std::string region;
  int retries = 1;  // after a failed call (throttled, 5xx, unreachable): few, a person waits
};

// Thrown by a command to end with one line on stderr and exit status 1.
struct command_failure {
  std::string message;
  bool unreachable = false;  // the endpoint did not answer: main names it and how to change it
};

[[noreturn]] inline void fail(const client::error& e) {
  throw command_failure{e.to_string(), e.code == client::error_code::connection};
}
[[noreturn]] inline void fail(std::string message) {
  throw command_failure{std::move(message)};
}

// The value of a call, or the end of the command with its error.
template <class T>
T must(client::outcome<T> result) {
  if (!result) fail(result.err());
  return std::move(result).value();
}
inline void must(const client::outcome<void>& result) {
  if (!result) fail(result.err());
}

std::shared_ptr<client::kinesis> make_client(const global_options& global);
// The endpoint make_client() connects to (the flag, the environment or the default).
std::string resolved_endpoint(const global_options& global);

// Each registers its subcommand(s) on `app`; the callbacks run the command.
void add_streams_command(CLI::App& app, const global_options& global);
void add_put_command(CLI::App& app, const global_options& global);
void add_tail_command(CLI::App& app, const global_options& global);
void add_reshard_command(CLI::App& app, const global_options& global);
void add_checkpoints_command(CLI::App& app, const global_options& global);
void add_backup_command(CLI::App& app, const global_options& global);
void add_mirror_command(CLI::App& app, const global_options& global);

}  // namespace spate::cli
