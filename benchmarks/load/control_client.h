// control_client: the blocking side of the load tools (spate-bench, spate-push-bench): setup
// and teardown calls (CreateStream, DescribeStreamSummary, ListShards, RegisterStreamConsumer,
// DeleteStream) made one at a time from the main thread, on a connection of their own, before
// and after the timed run. Each call gives up after 30 s.
//
// Thread safety: one thread at a time; the answer of a call stays valid until the next call.
#pragma once

#include "benchmarks/load/http_connection.h"
#include "benchmarks/load/kinesis_wire.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::bench {

// Resolves the endpoint's host and port; on failure says so on stderr, naming `tool`.
inline std::optional<tcp::resolver::results_type> resolve_endpoint(const char* tool,
                                                                   const endpoint& ep) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto peers = resolver.resolve(ep.host, ep.port, ec);
  if (ec) {
    std::fprintf(stderr, "%s: cannot resolve %s: %s\n", tool, ep.host.c_str(),
                 ec.message().c_str());
    return std::nullopt;
  }
  return peers;
}

class control_client {
 public:
  control_client(tcp::resolver::results_type peers, const sigv4_signer& signer)
      : conn_(ioc_.get_executor(), std::move(peers)), signer_(signer) {}

  call_result<http_reply*> call(std::string_view action, std::string_view body) {
    const std::string request = signer_.request(action, body);
    std::optional<call_result<http_reply*>> out;
    net::co_spawn(
        ioc_, [&]() -> net::awaitable<void> { out = co_await conn_.async_call(request); },
        net::detached);
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(30));
    if (!out) {
      conn_.close();
      ioc_.restart();
      ioc_.run();
      return call_error{"timeout", std::string(action) + " got no answer in 30 s"};
    }
    return std::move(*out);
  }

  simdjson::ondemand::parser& parser() { return parser_; }

 private:
  net::io_context ioc_{1};
  http_connection conn_;
  const sigv4_signer& signer_;
  simdjson::ondemand::parser parser_;
};

inline call_result<stream_summary> describe(control_client& control, const std::string& stream) {
  auto reply = control.call("DescribeStreamSummary", stream_body(stream));
  if (!reply) return reply.error();
  return parse_stream_summary(control.parser(), **reply);
}

inline call_result<std::vector<std::string>> list_shards(control_client& control,
                                                         const std::string& stream) {
  std::vector<std::string> ids;
  std::string token;
  do {
    auto reply = control.call("ListShards", list_shards_body(stream, token));
    if (!reply) return reply.error();
    auto page = parse_list_shards(control.parser(), **reply);
    if (!page) return page.error();
    ids.insert(ids.end(), page->shard_ids.begin(), page->shard_ids.end());
    token = std::move(page->next_token);
  } while (!token.empty());
  return ids;
}

}  // namespace spate::bench
