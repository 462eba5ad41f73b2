// sigv4_request: the server's SigV4 check (server::sigv4_verifier::verify) on a request built
// from the input, with a fixed key and a clock pinned to 2015-08-30T12:36:00Z (the time the
// seed requests were signed at, so they verify and mutations start from a good signature).
// Also sigv4_verifier::strip_presign_parameters on the request target.
//
// Input: one HTTP request, as http_request_input.h reads it.
// Properties: nothing crashes or trips a sanitizer; verifying the same request twice gives the
// same answer (the second goes through the signing-key cache); the stripped target keeps no
// X-Amz-* parameter, is no longer than the target, and stripping it again changes nothing.
#include "common/sigv4.h"
#include "http_request_input.h"
#include "server/credentials.h"
#include "server/sigv4_verifier.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace spate;
using namespace std::chrono_literals;

const server::sigv4_verifier& verifier() {
  static const server::sigv4_verifier v = [] {
    auto keys = server::credential_store::parse(
        "AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\nAKIDOTHER other\n");
    server::sigv4_options options;
    options.clock = [] {
      return std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;
    };
    return server::sigv4_verifier(std::get<server::credential_store>(std::move(keys)), options);
  }();
  return v;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sigv4_request: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_strip(std::string_view target) {
  const std::string stripped = server::sigv4_verifier::strip_presign_parameters(target);
  if (stripped.size() > target.size()) fail("stripping made the target longer", stripped);
  if (server::sigv4_verifier::strip_presign_parameters(stripped) != stripped) {
    fail("stripping twice differs from stripping once", stripped);
  }
  const auto mark = stripped.find('?');
  if (mark == std::string::npos) return;
  for (const auto& [name, value] :
       sigv4::parse_query(std::string_view(stripped).substr(mark + 1))) {
    if (name.starts_with("X-Amz-")) fail("a presigning parameter was left", stripped);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = fuzz::parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed) return 0;
  const server::sigv4_verifier::request& req = *parsed;

  const auto first_answer = verifier().verify(req);
  const auto second_answer = verifier().verify(req);
  if (first_answer.has_value() != second_answer.has_value() ||
      (first_answer && (first_answer->type != second_answer->type ||
                        first_answer->message != second_answer->message))) {
    fail("the same request verified twice gave two answers",
         first_answer ? first_answer->message : second_answer->message);
  }
  check_strip(req.target());
  return 0;
}
