// What an error value says about itself: whether a retry can help, and its one-line form.
#include <spate/client/error.h>

#include <array>
#include <string_view>

namespace spate::client {
namespace {

// AWS's throttling codes (botocore's standard retry mode lists the same names), minus
// LimitExceededException: Kinesis also uses it for hard limits (shard count, consumers), which
// no amount of waiting fixes, so callers decide about it themselves.
constexpr std::array<std::string_view, 7> throttling_codes = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "KMSThrottlingException"};

}  // namespace

bool error::retryable() const {
  if (code == client_error::connection || code == client_error::timeout) return true;
  if (http_status >= 500) return true;
  for (std::string_view c : throttling_codes) {
    if (code == c) return true;
  }
  return false;
}

std::string error::to_string() const {
  if (message.empty()) return code;
  return code + ": " + message;
}

}  // namespace spate::client
