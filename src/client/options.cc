// resolve_options: the standard AWS environment variables and Spate's defaults, applied to the
// fields an application left empty.
#include <spate/client/options.h>

#include <cstdlib>
#include <string>

namespace spate::client {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string first_set(std::initializer_list<const char*> names, const char* fallback) {
  for (const char* n : names) {
    if (auto v = env(n); !v.empty()) return v;
  }
  return fallback;
}

}  // namespace

client_options resolve_options(client_options options) {
  if (options.endpoint.empty()) {
    options.endpoint =
        first_set({"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL"}, default_endpoint);
  }
  if (options.region.empty()) {
    options.region = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"}, default_region);
  }
  if (options.creds.access_key_id.empty()) {
    options.creds.access_key_id = env("AWS_ACCESS_KEY_ID");
    options.creds.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    options.creds.session_token = env("AWS_SESSION_TOKEN");
    if (options.creds.access_key_id.empty()) {
      // spated under --auth none accepts any signature; AWS rejects this pair clearly.
      options.creds.access_key_id = "spate-local";
      options.creds.secret_access_key = "spate-local-secret";
    }
  }
  if (options.retry.max_attempts < 1) options.retry.max_attempts = 1;
  return options;
}

}  // namespace spate::client
