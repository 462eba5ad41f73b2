// dashboard_request: the dashboard's request handling (server::dashboard: check_header and
// handle, with its cookie, CSRF, origin, host and body checks) and the CORS rules
// (server::origin_policy) on a request built from the input, as http_request_input.h reads it.
// Four dashboards see each request: authentication on and off, mode on and read-only; no
// statistics source is attached, so /v1/stats answers 503 when it gets that far.
//
// Properties: nothing crashes or trips a sanitizer; with authentication, a request without a
// valid session (the input cannot make one: sessions carry a MAC under a key it does not
// know) is never forwarded to the Kinesis API nor answered 200 on /v1/stats; read-only never
// forwards a call that changes something; every answer is a well-formed response (a status
// in 200..599 and, unless 304, a body whose length its Content-Length states); a preflight
// from an origin that is not listed gets no Access-Control-Allow-Origin.
#include "http_request_input.h"
#include "server/credentials.h"
#include "server/dashboard.h"
#include "server/origin_policy.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace spate;

const server::credential_store& keys() {
  static const auto parsed = server::credential_store::parse("AKIDFUZZ fuzz-secret\n");
  return std::get<server::credential_store>(parsed);
}

const server::origin_policy& origins() {
  static const auto made = server::origin_policy::make({"http://app.example:8080"});
  return std::get<server::origin_policy>(made);
}

const engine::secret& key() {
  static const engine::secret k("fuzz-key-fuzz-key-fuzz-key-fuzz!");
  return k;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "dashboard_request: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_well_formed(const server::response& res) {
  const unsigned status = res.result_int();
  if (status < 200 || status > 599) fail("an answer's status is out of range", res.body());
  if (status == 304) return;
  const auto length = res[boost::beast::http::field::content_length];
  if (length != std::to_string(res.body().size())) {
    fail("an answer's Content-Length does not match its body", std::string(length));
  }
}

bool is_write(std::string_view target_header) {
  for (std::string_view action :
       {"CreateStream", "DeleteStream", "SplitShard", "MergeShards", "UpdateShardCount",
        "IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod"}) {
    if (target_header == "Kinesis_20131202." + std::string(action)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = fuzz::parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed) return 0;
  const server::request& req = *parsed;
  const bool stats_path = req.target() == "/v1/stats" || req.target().starts_with("/v1/stats?");
  for (const bool auth : {false, true}) {
    for (const auto mode : {server::dashboard_mode::on, server::dashboard_mode::read_only}) {
      const server::dashboard d({.mode = mode, .keys = auth ? &keys() : nullptr, .version = "f"},
                                key(), origins(), nullptr);
      if (!server::dashboard::is_dashboard_request(req)) continue;
      if (auto refused = d.check_header(req)) check_well_formed(*refused);
      auto handled = d.handle(req);
      if (std::holds_alternative<server::dashboard::forward>(handled)) {
        if (auth && !d.has_session(req))
          fail("forwarded without a session", std::string(req.target()));
        if (mode == server::dashboard_mode::read_only && is_write(req["X-Amz-Target"])) {
          fail("read-only forwarded a write", std::string(req["X-Amz-Target"]));
        }
        continue;
      }
      const auto& res = std::get<server::response>(handled);
      check_well_formed(res);
      if (auth && stats_path && res.result_int() == 200) {
        fail("statistics answered without a session", std::string(req.target()));
      }
    }
  }
  const auto preflight = origins().preflight(req);
  if (!origins().cors_origin(req[boost::beast::http::field::origin]) &&
      preflight.count(boost::beast::http::field::access_control_allow_origin) != 0) {
    fail("a preflight allowed an origin that is not listed", std::string(req["Origin"]));
  }
  return 0;
}
