// client_options: where the client connects, how it authenticates and how hard it retries.
//
// Every field left empty is taken from the standard AWS environment variables, as the AWS
// SDKs do: endpoint from AWS_ENDPOINT_URL_KINESIS or AWS_ENDPOINT_URL (else the local spated,
// http://127.0.0.1:4567), region from AWS_REGION or AWS_DEFAULT_REGION (else us-east-1),
// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (else a
// placeholder pair, which spated accepts under --auth none). An https endpoint uses TLS.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace spate::client {

inline constexpr const char* default_endpoint = "http://127.0.0.1:4567";
inline constexpr const char* default_region = "us-east-1";

struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

struct retry_options {
  int max_attempts = 8;  // total tries per call, the first included
  std::chrono::milliseconds base_delay{25};
  std::chrono::milliseconds max_delay{2000};  // cap of one backoff ("full jitter" below it)
};

struct client_options {
  std::string endpoint;  // scheme://host[:port]; empty: from the environment
  std::string region;    // empty: from the environment
  credentials creds;     // empty access key: from the environment
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{15000};  // one attempt, send to last byte (<= 0: none)
  retry_options retry;
  std::size_t max_idle_connections = 32;  // kept-alive connections the pool keeps
  bool verify_tls = true;                 // check the server certificate (https)
  std::string ca_file;                    // CA bundle (PEM) trusted instead of the system store
};

// Fills every empty field of `options` from the environment and defaults (see above).
client_options resolve_options(client_options options);

}  // namespace spate::client
