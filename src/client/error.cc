// error_code's names, and what an error value says about itself: whether a retry can help,
// and its one-line form. The names spated also answers are the rulebook's (src/kinesis/
// errors.cc), mapped here code to code; the rest are written here once.
#include "kinesis/errors.h"

#include <spate/client/error.h>

#include <array>
#include <utility>

// The rulebook (src/kinesis); `kinesis` in this namespace is the client interface.
namespace rulebook = spate::kinesis;

namespace spate::client {
namespace {

// Codes spated answers: their names come from the rulebook.
constexpr std::array<std::pair<error_code, rulebook::error_code>, 17> served = {{
    {error_code::resource_not_found, rulebook::error_code::resource_not_found},
    {error_code::resource_in_use, rulebook::error_code::resource_in_use},
    {error_code::limit_exceeded, rulebook::error_code::limit_exceeded},
    {error_code::invalid_argument, rulebook::error_code::invalid_argument},
    {error_code::validation, rulebook::error_code::validation},
    {error_code::expired_iterator, rulebook::error_code::expired_iterator},
    {error_code::expired_next_token, rulebook::error_code::expired_next_token},
    {error_code::provisioned_throughput_exceeded, rulebook::error_code::throughput_exceeded},
    {error_code::access_denied, rulebook::error_code::access_denied},
    {error_code::serialization, rulebook::error_code::serialization},
    {error_code::unknown_operation, rulebook::error_code::unknown_operation},
    {error_code::missing_authentication_token, rulebook::error_code::missing_authentication},
    {error_code::incomplete_signature, rulebook::error_code::incomplete_signature},
    {error_code::invalid_signature, rulebook::error_code::invalid_signature},
    {error_code::unrecognized_client, rulebook::error_code::unrecognized_client},
    {error_code::service_unavailable, rulebook::error_code::service_unavailable},
    {error_code::internal_failure, rulebook::error_code::internal},
}};

// Codes only AWS answers (KMS, throttling by the front end) and the client's own.
constexpr std::array<std::pair<error_code, std::string_view>, 17> others = {{
    {error_code::kms_access_denied, "KMSAccessDeniedException"},
    {error_code::kms_disabled, "KMSDisabledException"},
    {error_code::kms_invalid_state, "KMSInvalidStateException"},
    {error_code::kms_not_found, "KMSNotFoundException"},
    {error_code::kms_opt_in_required, "KMSOptInRequired"},
    {error_code::kms_throttling, "KMSThrottlingException"},
    {error_code::throttling, "ThrottlingException"},
    {error_code::connection, "ConnectionError"},
    {error_code::timeout, "RequestTimeout"},
    {error_code::bad_response, "BadResponse"},
    {error_code::queue_full, "QueueFull"},
    {error_code::closed, "Closed"},
    {error_code::invalid_option, "InvalidOption"},
    {error_code::checkpoint_store, "CheckpointStoreError"},
    {error_code::record_expired, "RecordExpired"},
    {error_code::handler_failed, "HandlerError"},
    {error_code::not_implemented, "NotImplemented"},
}};

// Other spellings of throttling some AWS front ends answer (botocore's standard retry mode
// lists the same names). LimitExceededException is not among them: Kinesis also uses it for
// hard limits (shard count, consumers), which no amount of waiting fixes.
constexpr std::array<std::string_view, 4> throttling_aliases = {
    "Throttling", "ThrottledException", "RequestThrottledException", "TooManyRequestsException"};

}  // namespace

std::string_view to_string(error_code code) {
  for (const auto& [c, k] : served) {
    if (c == code) return rulebook::name(k);
  }
  for (const auto& [c, n] : others) {
    if (c == code) return n;
  }
  return {};
}

namespace {

// `name` without a "namespace#" prefix, as some SDKs and the CBOR protocol write it.
std::string_view unqualified(std::string_view name) {
  const auto hash = name.rfind('#');
  return hash == std::string_view::npos ? name : name.substr(hash + 1);
}

error_code code_of(std::string_view bare) {
  if (bare == "InternalFailureException") return error_code::internal_failure;  // event streams
  if (auto k = rulebook::parse_error_code(bare)) {
    for (const auto& [c, known] : served) {
      if (known == *k) return c;
    }
  }
  for (const auto& [c, n] : others) {
    if (n == bare) return c;
  }
  return error_code::unknown;
}

}  // namespace

error_code parse_error_code(std::string_view name) {
  return code_of(unqualified(name));
}

error error::from_name(std::string_view name, std::string message, int http_status) {
  const std::string_view bare = unqualified(name);
  error e(code_of(bare), std::move(message), http_status);
  if (e.code == error_code::unknown) e.unknown_name_ = std::string(bare);
  return e;
}

std::string_view error::name() const {
  return code == error_code::unknown ? std::string_view(unknown_name_) : client::to_string(code);
}

bool error::retryable() const {
  switch (code) {
    case error_code::connection:
    case error_code::timeout:
    case error_code::provisioned_throughput_exceeded:
    case error_code::throttling:
    case error_code::kms_throttling:
      return true;
    default:
      break;
  }
  if (http_status >= 500) return true;
  if (code != error_code::unknown) return false;  // the aliases are names no code has
  for (std::string_view alias : throttling_aliases) {
    if (unknown_name_ == alias) return true;
  }
  return false;
}

std::string error::to_string() const {
  std::string out(name());
  if (out.empty()) out = "UnknownError";
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace spate::client
