// sigv4_request: the server's SigV4 check (server::sigv4_verifier::verify) on a request built
// from the input, with a fixed key and a clock pinned to 2015-08-30T12:36:00Z (the time the
// seed requests were signed at, so they verify and mutations start from a good signature).
// Also sigv4_verifier::strip_presign_parameters on the request target.
//
// Input, as an HTTP/1.1 head without the version ("\r\n" or "\n" line ends):
//   METHOD TARGET            (a line without a space is a POST's target)
//   Name: value              (any number; names of token characters, as the HTTP/1.1 and
//                             HTTP/2 front ends admit; other lines are skipped)
//   <empty line>
//   body                     (the rest)
// Properties: nothing crashes or trips a sanitizer; verifying the same request twice gives the
// same answer (the second goes through the signing-key cache); the stripped target keeps no
// X-Amz-* parameter, is no longer than the target, and stripping it again changes nothing.
#include "common/sigv4.h"
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

// The next line of `in` (without its "\n" or "\r\n"), or nullopt at the end.
std::optional<std::string_view> next_line(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  const auto end = in.find('\n');
  std::string_view line = in.substr(0, end);
  in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool is_field_value(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
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
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto first = next_line(in);
  if (!first) return 0;
  std::string_view method = "POST", target = *first;
  if (const auto space = first->find(' '); space != std::string_view::npos) {
    method = first->substr(0, space);
    target = first->substr(space + 1);
  }
  if (!is_token(method) || target.empty() || !is_field_value(target)) return 0;

  server::sigv4_verifier::request req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  while (auto line = next_line(in)) {
    if (line->empty()) break;
    const auto colon = line->find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line->substr(0, colon);
    std::string_view value = line->substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    if (!is_token(name) || !is_field_value(value)) continue;
    req.insert(name, value);
  }
  req.body() = std::string(in);

  const auto first_answer = verifier().verify(req);
  const auto second_answer = verifier().verify(req);
  if (first_answer.has_value() != second_answer.has_value() ||
      (first_answer && (first_answer->type != second_answer->type ||
                        first_answer->message != second_answer->message))) {
    fail("the same request verified twice gave two answers",
         first_answer ? first_answer->message : second_answer->message);
  }
  check_strip(target);
  return 0;
}
