// sigv4: AWS Signature Version 4, following botocore's SigV4Auth rule for rule so that a
// request signed here carries the same Authorization header botocore would give it:
//  - the date goes in X-Amz-Date, or in Date when the request already has a Date header;
//  - temporary credentials add X-Amz-Security-Token, which is signed;
//  - every header the request carries is signed (names lower-cased, values trimmed with inner
//    runs of white space collapsed, repeated names joined with ","), except Expect,
//    User-Agent and X-Amzn-Trace-Id; Host is added when the request has none;
//  - the path has its dot segments and empty segments removed and is percent-encoded once
//    more (non-S3 services sign the encoded path encoded again);
//  - an X-Amz-Content-SHA256 header, when present, stands in for the payload hash.
// One deliberate difference: the query string is decoded and encoded again the AWS way
// (unreserved characters kept, upper-case hex) before sorting, where botocore signs the pairs
// as the URL spells them. Both agree on any query that is already encoded that way.
// The canonical parts, key derivation and hashing are common/sigv4's, shared with the server's
// verifier; this file keeps botocore's choices of what to sign.
#include "client/sigv4.h"

#include "common/ascii.h"
#include "common/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::client::detail {
namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

using ascii::iequals;
using ascii::lowercase;

bool unsigned_header(std::string_view lower_name) {
  return lower_name == "expect" || lower_name == "user-agent" || lower_name == "x-amzn-trace-id";
}

const std::string* find_header(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return &v;
  }
  return nullptr;
}

void erase_header(header_list& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

// --- time ----------------------------------------------------------------------------------

std::tm utc_time(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return utc;
}

// The RFC 2822 date Python's email.utils.formatdate() writes for a UTC time.
std::string http_date(const std::tm& utc) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d -0000", days[utc.tm_wday],
                utc.tm_mday, months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text;
}

// The request's headers as they will be sent: any old Authorization dropped, the signing time
// in X-Amz-Date (or in Date, if the request has one) and the session token, if any, set anew.
header_list headers_with_date_and_token(const http_request& request, const credentials& creds,
                                        std::chrono::system_clock::time_point now) {
  header_list headers = request.headers;
  erase_header(headers, "Authorization");
  if (find_header(headers, "Date") != nullptr) {
    erase_header(headers, "Date");
    headers.emplace_back("Date", http_date(utc_time(now)));
    erase_header(headers, "X-Amz-Date");
  } else {
    erase_header(headers, "X-Amz-Date");
    headers.emplace_back("X-Amz-Date", sigv4::amz_timestamp(now));
  }
  if (!creds.session_token.empty()) {
    erase_header(headers, "X-Amz-Security-Token");
    headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  return headers;
}

signature_parts sign_headers(const http_request& request, const header_list& headers,
                             const std::string& host_header, const credentials& creds,
                             const signing_scope& scope,
                             std::chrono::system_clock::time_point now) {
  // The target splits into path and query; a fragment is never signed.
  std::string_view target = request.target;
  if (const auto hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  std::string_view path = target, query;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }

  // Signed headers: sorted lower-case names, values of a repeated name joined in order.
  std::vector<sigv4::header> signed_headers;  // name, joined value
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    std::string lname = lowercase(name);
    if (unsigned_header(lname)) continue;
    if (lname == "host") has_host = true;
    auto same = std::find_if(signed_headers.begin(), signed_headers.end(),
                             [&](const auto& h) { return h.first == lname; });
    if (same == signed_headers.end()) {
      signed_headers.emplace_back(std::move(lname), sigv4::trim_all(value));
    } else {
      same->second += ',';
      same->second += sigv4::trim_all(value);
    }
  }
  if (!has_host) signed_headers.emplace_back("host", sigv4::trim_all(host_header));
  std::sort(signed_headers.begin(), signed_headers.end());

  std::string payload_hash;
  if (const std::string* given = find_header(headers, "X-Amz-Content-SHA256")) {
    payload_hash = *given;
  } else {
    payload_hash = request.body.empty() ? std::string(sigv4::empty_body_sha256)
                                        : sigv4::sha256_hex(request.body);
  }

  std::string method = request.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });

  const std::string header_names = sigv4::signed_header_names(signed_headers);
  signature_parts parts;
  parts.canonical_request = sigv4::canonical_request(
      method, sigv4::canonical_uri(path), sigv4::canonical_query(query),
      sigv4::canonical_headers(signed_headers), header_names, payload_hash);

  const std::string timestamp = sigv4::amz_timestamp(now);
  const std::string date = timestamp.substr(0, 8);
  const std::string credential_scope = sigv4::credential_scope(date, scope.region, scope.service);
  parts.string_to_sign =
      sigv4::string_to_sign(timestamp, credential_scope, parts.canonical_request);
  parts.signature = sigv4::signature(
      sigv4::signing_key(creds.secret_access_key, date, scope.region, scope.service),
      parts.string_to_sign);

  parts.authorization = std::string(sigv4::algorithm) + " Credential=" + creds.access_key_id + '/' +
                        credential_scope + ", SignedHeaders=" + header_names +
                        ", Signature=" + parts.signature;
  return parts;
}

}  // namespace

signature_parts compute_signature(const http_request& request, const std::string& host_header,
                                  const credentials& creds, const signing_scope& scope,
                                  std::chrono::system_clock::time_point now) {
  const header_list headers = headers_with_date_and_token(request, creds, now);
  return sign_headers(request, headers, host_header, creds, scope, now);
}

void sign_request(http_request& request, const std::string& host_header, const credentials& creds,
                  const signing_scope& scope, std::chrono::system_clock::time_point now) {
  header_list headers = headers_with_date_and_token(request, creds, now);
  const signature_parts parts = sign_headers(request, headers, host_header, creds, scope, now);
  headers.emplace_back("Authorization", parts.authorization);
  request.headers = std::move(headers);
}

}  // namespace spate::client::detail
