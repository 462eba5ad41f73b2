// spate: the command-line tool for spated and AWS Kinesis - streams, put, tail, reshard and
// checkpoints. Each subcommand lives in its own file; this one parses and dispatches.
#include "command.h"

namespace spate::cli {

std::shared_ptr<client::kinesis> make_client(const global_options& global) {
  client::client_options options;
  options.endpoint = global.endpoint;
  options.region = global.region;
  options.retry.max_attempts = 4;  // a person is waiting: fail within seconds, not minutes
  options.connect_timeout = std::chrono::milliseconds(2000);
  try {
    return client::make_client(options);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

}  // namespace spate::cli

int main(int argc, char** argv) {
  using namespace spate::cli;
  CLI::App app{
      "spate: streams, records, resharding and consumer checkpoints on spated or AWS Kinesis"};
  app.require_subcommand(1);
  global_options global;
  app.add_option("--endpoint", global.endpoint,
                 "Kinesis endpoint URL (default: $AWS_ENDPOINT_URL_KINESIS, $AWS_ENDPOINT_URL, "
                 "else http://127.0.0.1:4567)");
  app.add_option("--region", global.region, "AWS region (default: $AWS_REGION, else us-east-1)");

  add_streams_command(app, global);
  add_put_command(app, global);
  add_tail_command(app, global);
  add_reshard_command(app, global);
  add_checkpoints_command(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const command_failure& e) {
    std::fprintf(stderr, "spate: %s\n", e.message.c_str());
    return 1;
  }
  return 0;
}
