// transport: HTTP/1.1 requests to one endpoint over a pool of keep-alive connections, plain
// TCP or TLS (OpenSSL through Asio), with connect and request timeouts.
//
// One background thread runs the Asio io_context; callers on any thread block on send().
// A connection is taken from the idle pool (or opened), used for one request/response and
// returned if the server kept it alive. A request that fails on a reused connection before
// any response byte arrived is retried once on a fresh connection (the server may have closed
// an idle connection), and only then reported. Retries with backoff live above, in the client.
#pragma once

#include <spate/client/error.h>
#include <spate/client/options.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::client::detail {

struct http_request {
  std::string method = "POST";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // Host and Content-Length are added
  std::string body;
};

struct http_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // case-insensitive; "" if absent
};

// The parts of an endpoint URL the transport and the signer need.
struct endpoint_url {
  bool tls = false;
  std::string host;         // name or address, no brackets
  std::string port;         // "80"/"443" when the URL had none
  std::string host_header;  // host[:port] as the Host header and SigV4 must show it
};
outcome<endpoint_url> parse_endpoint(std::string_view url);

// Receives the body of a streamed response piece by piece as it arrives; return false to stop
// reading (the connection is then closed, not pooled). While nothing arrives it is also called
// with an empty piece about every 200 ms, so the caller can end a quiet stream at once.
using body_sink = std::function<bool(std::string_view chunk)>;

// What a call on a closed client answers (transport::close, kinesis::close).
inline error client_closed() { return error{error_code::closed, "the client was closed", 0}; }

class transport {
 public:
  transport(endpoint_url endpoint, const client_options& options);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  const endpoint_url& endpoint() const;

  // One request, whole response. Thread-safe.
  outcome<http_response> send(const http_request& request);

  // One request whose response body is streamed to `sink` (SubscribeToShard's event stream).
  // A non-2xx answer is returned whole in the response with the body filled and `sink` not
  // called. `idle_timeout` bounds the wait for each next piece. Thread-safe.
  outcome<http_response> send_streaming(const http_request& request, const body_sink& sink,
                                        std::chrono::milliseconds idle_timeout);

  // Closes every connection, which ends the calls on them with error_code::closed; later calls
  // fail the same way without connecting. Thread-safe; the transport stays usable for nothing
  // else but its destructor.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace spate::client::detail
