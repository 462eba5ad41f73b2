// sigv4: canonical request parts, time formats, key derivation and signatures.
#include "common/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace spate::sigv4 {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  // The ASCII characters Python's str.split() treats as white space.
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int n = 0;
  for (const char c : s) n = n * 10 + (c - '0');
  return n;
}

// Seconds since the epoch of a broken-down UTC time, or nullopt when a field is out of range
// (timegm() would silently normalize 31 February into March) or the time is one system_clock
// cannot hold.
std::optional<std::chrono::system_clock::time_point> from_utc(int year, int month, int day,
                                                              int hour, int minute, int second) {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{unsigned(month)},
                                        std::chrono::day{unsigned(day)}};
  if (!ymd.ok()) return std::nullopt;
  const std::chrono::sys_seconds t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                                     std::chrono::minutes{minute} + std::chrono::seconds{second};
  // system_clock counts nanoseconds in 64 bits: 1677 to 2262. A time outside that is refused
  // rather than overflowing into undefined behaviour (found by fuzz/sigv4_request.cc).
  using clock_time = std::chrono::system_clock::time_point;
  if (t < std::chrono::ceil<std::chrono::seconds>(clock_time::min()) ||
      t > std::chrono::floor<std::chrono::seconds>(clock_time::max())) {
    return std::nullopt;
  }
  return clock_time(t);
}

}  // namespace

// --- bytes ---------------------------------------------------------------------------------

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// --- canonical request parts ---------------------------------------------------------------

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

std::string canonical_uri(std::string_view path) {
  return uri_encode(normalize_path(path), true);
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
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
      pairs.emplace_back(percent_decode(key), percent_decode(value));
    }
    start = end + 1;
  }
  return pairs;
}

std::string canonical_query(std::string_view query, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& [key, value] : parse_query(query)) {
    if (!skip.empty() && key == skip) continue;
    pairs.emplace_back(uri_encode(key, false), uri_encode(value, false));
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

std::string canonical_headers(const std::vector<header>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  return out;
}

std::string signed_header_names(const std::vector<header>& headers) {
  std::string out;
  for (const auto& h : headers) {
    if (!out.empty()) out += ';';
    out += h.first;
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 5);
  out.append(method).append(1, '\n');
  out.append(canonical_uri).append(1, '\n');
  out.append(canonical_query).append(1, '\n');
  out.append(canonical_headers).append(1, '\n');
  out.append(signed_headers).append(1, '\n');
  out.append(payload_hash);
  return out;
}

// --- time, scope, key, signature ------------------------------------------------------------

std::string amz_timestamp(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return stamp;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_timestamp(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !all_digits(s.substr(0, 8)) ||
      !all_digits(s.substr(9, 6))) {
    return std::nullopt;
  }
  return from_utc(number(s.substr(0, 4)), number(s.substr(4, 2)), number(s.substr(6, 2)),
                  number(s.substr(9, 2)), number(s.substr(11, 2)), number(s.substr(13, 2)));
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Sun, 30 Aug 2015 12:36:00 GMT": the day name is skipped, the zone must be UTC.
  const std::string text(s);
  char weekday[8] = {}, month[8] = {}, zone[8] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, used = 0;
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %5s%n", weekday, &day, month, &year, &hour,
                  &minute, &second, zone, &used) != 8 ||
      static_cast<std::size_t>(used) != text.size()) {
    return std::nullopt;
  }
  if (std::strcmp(zone, "GMT") != 0 && std::strcmp(zone, "UTC") != 0 &&
      std::strcmp(zone, "+0000") != 0 && std::strcmp(zone, "-0000") != 0) {
    return std::nullopt;
  }
  for (int m = 0; m < 12; ++m) {
    if (std::strcmp(month, months[m]) == 0) {
      if (hour < 0 || minute < 0 || second < 0) return std::nullopt;
      return from_utc(year, m + 1, day, hour, minute, second);
    }
  }
  return std::nullopt;
}

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
  std::string out;
  out.append(date).append(1, '/').append(region).append(1, '/').append(service).append(1, '/');
  out.append(terminator);
  return out;
}

std::string string_to_sign(std::string_view timestamp, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out(algorithm);
  out.append(1, '\n').append(timestamp).append(1, '\n').append(scope).append(1, '\n');
  out.append(sha256_hex(canonical_request));
  return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret.append(secret);
  const std::string k_date = hmac_sha256(k_secret, date);
  const std::string k_region = hmac_sha256(k_date, region);
  const std::string k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, terminator);
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
  return to_hex(hmac_sha256(signing_key, string_to_sign));
}

}  // namespace spate::sigv4
