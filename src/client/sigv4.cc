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
#include "client/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::client::detail {
namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view empty_body_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// --- bytes ---------------------------------------------------------------------------------

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(digest, length);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// --- URI encoding --------------------------------------------------------------------------

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// Percent-encodes every byte but the unreserved ones (and '/' when `keep_slash`), with
// upper-case hex, as AWS's UriEncode() and Python's quote() do.
std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes %XX escapes; a '%' not followed by two hex digits stays as it is. '+' is left alone:
// in a query it is a literal plus to SigV4, not a space.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// --- canonical request parts ---------------------------------------------------------------

// RFC 3986 5.2.4 dot-segment removal, also dropping empty segments (AWS rejects "//"), keeping
// a leading and a trailing '/': botocore's remove_dot_segments().
std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (path.back() == '/' && !kept.empty()) out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      const std::string_view key = pair.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      pairs.emplace_back(uri_encode(percent_decode(key), false),
                         uri_encode(percent_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

bool is_space(char c) {
  // The ASCII characters Python's str.split() treats as white space.
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

// Trimall(): no white space at either end, every inner run of it one space.
std::string trim_all(std::string_view value) {
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && is_space(value[i])) ++i;
    if (i == value.size()) break;
    if (!out.empty()) out += ' ';
    while (i < value.size() && !is_space(value[i])) out += value[i++];
  }
  return out;
}

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

std::string amz_timestamp(const std::tm& utc) {
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return stamp;
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
                                        const std::tm& utc) {
  header_list headers = request.headers;
  erase_header(headers, "Authorization");
  if (find_header(headers, "Date") != nullptr) {
    erase_header(headers, "Date");
    headers.emplace_back("Date", http_date(utc));
    erase_header(headers, "X-Amz-Date");
  } else {
    erase_header(headers, "X-Amz-Date");
    headers.emplace_back("X-Amz-Date", amz_timestamp(utc));
  }
  if (!creds.session_token.empty()) {
    erase_header(headers, "X-Amz-Security-Token");
    headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  return headers;
}

signature_parts sign_headers(const http_request& request, const header_list& headers,
                             const std::string& host_header, const credentials& creds,
                             const signing_scope& scope, const std::tm& utc) {
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
  std::vector<std::pair<std::string, std::string>> signed_headers;  // name, joined value
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    std::string lname = lowercase(name);
    if (unsigned_header(lname)) continue;
    if (lname == "host") has_host = true;
    auto same = std::find_if(signed_headers.begin(), signed_headers.end(),
                             [&](const auto& h) { return h.first == lname; });
    if (same == signed_headers.end()) {
      signed_headers.emplace_back(std::move(lname), trim_all(value));
    } else {
      same->second += ',';
      same->second += trim_all(value);
    }
  }
  if (!has_host) signed_headers.emplace_back("host", trim_all(host_header));
  std::sort(signed_headers.begin(), signed_headers.end());

  std::string header_names;
  std::string canonical_headers;
  for (const auto& [name, value] : signed_headers) {
    if (!header_names.empty()) header_names += ';';
    header_names += name;
    canonical_headers += name;
    canonical_headers += ':';
    canonical_headers += value;
    canonical_headers += '\n';
  }

  std::string payload_hash;
  if (const std::string* given = find_header(headers, "X-Amz-Content-SHA256")) {
    payload_hash = *given;
  } else {
    payload_hash = request.body.empty() ? std::string(empty_body_sha256) : sha256_hex(request.body);
  }

  std::string method = request.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });

  signature_parts parts;
  parts.canonical_request = method + '\n' + uri_encode(normalize_path(path), true) + '\n' +
                            canonical_query(query) + '\n' + canonical_headers + '\n' +
                            header_names + '\n' + payload_hash;

  const std::string timestamp = amz_timestamp(utc);
  const std::string date = timestamp.substr(0, 8);
  const std::string credential_scope =
      date + '/' + scope.region + '/' + scope.service + "/aws4_request";
  parts.string_to_sign = std::string(algorithm) + '\n' + timestamp + '\n' + credential_scope +
                         '\n' + sha256_hex(parts.canonical_request);

  const std::string k_date = hmac_sha256("AWS4" + creds.secret_access_key, date);
  const std::string k_region = hmac_sha256(k_date, scope.region);
  const std::string k_service = hmac_sha256(k_region, scope.service);
  const std::string k_signing = hmac_sha256(k_service, "aws4_request");
  const std::string mac = hmac_sha256(k_signing, parts.string_to_sign);
  parts.signature = to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());

  parts.authorization = std::string(algorithm) + " Credential=" + creds.access_key_id + '/' +
                        credential_scope + ", SignedHeaders=" + header_names +
                        ", Signature=" + parts.signature;
  return parts;
}

}  // namespace

signature_parts compute_signature(const http_request& request, const std::string& host_header,
                                  const credentials& creds, const signing_scope& scope,
                                  std::chrono::system_clock::time_point now) {
  const std::tm utc = utc_time(now);
  const header_list headers = headers_with_date_and_token(request, creds, utc);
  return sign_headers(request, headers, host_header, creds, scope, utc);
}

void sign_request(http_request& request, const std::string& host_header, const credentials& creds,
                  const signing_scope& scope, std::chrono::system_clock::time_point now) {
  const std::tm utc = utc_time(now);
  header_list headers = headers_with_date_and_token(request, creds, utc);
  const signature_parts parts = sign_headers(request, headers, host_header, creds, scope, utc);
  headers.emplace_back("Authorization", parts.authorization);
  request.headers = std::move(headers);
}

}  // namespace spate::client::detail
