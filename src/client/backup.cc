// backup: download_backup() over the client's transport and signer.
#include "backoff.h"
#include "sigv4.h"
#include "transport.h"

#include <spate/client/backup.h>

#include <thread>

namespace spate::client {

using detail::http_request;

outcome<void> download_backup(client_options options, const backup_sink& sink) {
  options = resolve_options(std::move(options));
  auto url = detail::parse_endpoint(options.endpoint);
  if (!url) return url.err();
  detail::transport transport(*url, options);
  const detail::signing_scope scope{options.region, "kinesis"};
  for (int attempt = 1;; ++attempt) {
    http_request req;
    req.method = "GET";
    req.target = "/v1/backup";
    detail::sign_request(req, transport.endpoint().host_header, options.creds, scope,
                         std::chrono::system_clock::now());
    bool received = false;
    auto response = transport.send_streaming(
        req,
        [&](std::string_view bytes) {
          if (bytes.empty()) return true;  // a quiet moment, not the end
          received = true;
          return sink(bytes);
        },
        std::chrono::milliseconds(60'000));
    if (!response.ok()) {
      if (!received && response.err().retryable() && attempt < options.retry.max_attempts) {
        std::this_thread::sleep_for(detail::backoff_delay(options.retry, attempt));
        continue;
      }
      return response.err();
    }
    if (response->status >= 300) {
      return error{error_code::unknown,
                   "GET /v1/backup answered " + std::to_string(response->status) + ": " +
                       response->body.substr(0, 300),
                   response->status};
    }
    return {};
  }
}

}  // namespace spate::client
