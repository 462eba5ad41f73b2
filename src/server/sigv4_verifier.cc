// sigv4_verifier: parse the Authorization header or presigned query, check time, scope and
// signed headers, rebuild the canonical request and compare signatures in constant time.
#include "server/sigv4_verifier.h"

#include "common/ascii.h"
#include "common/sigv4.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

namespace spate::server {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view signature_mismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::size_t key_cache_limit = 4096;  // entries; cleared when full (keys rotate daily)
constexpr long max_presign_expires = 604'800;  // seconds: one week, as AWS allows

using ascii::lowercase;

}  // namespace

// What a request says about who signed it, from either the header or the query.
struct sigv4_verifier::presented_signature {
  std::string algorithm;
  std::string credential;
  std::string signed_headers;
  std::string signature;
  std::string date;  // as sent
  bool date_from_date_header = false;
  std::optional<long> expires;  // presigned only
  bool presigned = false;
};

namespace {

// Splits "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=x;y, Signature=z" into its scheme and
// key=value parameters; separators are commas and white space, in any number.
std::vector<std::pair<std::string, std::string>> authorization_parameters(std::string_view header,
                                                                          std::string& scheme) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto space = header.find_first_of(" \t");
  scheme = std::string(header.substr(0, space));
  std::string_view rest = space == std::string_view::npos ? "" : header.substr(space);
  std::size_t i = 0;
  auto separator = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
  while (i < rest.size()) {
    while (i < rest.size() && separator(rest[i])) ++i;
    const std::size_t start = i;
    while (i < rest.size() && !separator(rest[i])) ++i;
    if (i == start) break;
    const std::string_view item = rest.substr(start, i - start);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(std::string(item), std::string());
    } else {
      out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
  }
  return out;
}

const std::string* find(const std::vector<std::pair<std::string, std::string>>& pairs,
                        std::string_view name) {
  for (const auto& [k, v] : pairs) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string duration_text(std::chrono::seconds d) {
  if (d.count() % 60 == 0) return std::to_string(d.count() / 60) + " min.";
  return std::to_string(d.count()) + " sec.";
}

// The values of every field named `name`, trimmed and joined with commas (SigV4's canonical
// form), or nullopt when there is none.
std::optional<std::string> header_value(const sigv4_verifier::request& req, std::string_view name) {
  std::optional<std::string> joined;
  for (auto [it, end] = req.equal_range(name); it != end; ++it) {
    const std::string value =
        sigv4::trim_all(std::string_view(it->value().data(), it->value().size()));
    if (joined) {
      *joined += ',';
      *joined += value;
    } else {
      joined = value;
    }
  }
  return joined;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

sigv4_verifier::sigv4_verifier(credential_store keys, sigv4_options options)
    : keys_(std::move(keys)), options_(std::move(options)) {}

std::chrono::system_clock::time_point sigv4_verifier::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

std::string sigv4_verifier::signing_key(std::string_view access_key_id, std::string_view secret,
                                        std::string_view date) const {
  std::string cache_key;
  cache_key.append(access_key_id).append(1, '/').append(date);
  {
    std::lock_guard lock(mu_);
    if (auto it = key_cache_.find(cache_key); it != key_cache_.end()) return it->second;
  }
  std::string key = sigv4::signing_key(secret, date, options_.region, options_.service);
  std::lock_guard lock(mu_);
  if (key_cache_.size() >= key_cache_limit) key_cache_.clear();
  key_cache_.emplace(std::move(cache_key), key);
  return key;
}

std::string sigv4_verifier::strip_presign_parameters(std::string_view target) {
  const auto mark = target.find('?');
  if (mark == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, mark));
  bool first = true;
  for (const auto pair : split(target.substr(mark + 1), '&')) {
    const auto name = sigv4::percent_decode(pair.substr(0, pair.find('=')));
    if (pair.empty() || name.starts_with("X-Amz-")) continue;
    out += first ? '?' : '&';
    out.append(pair);
    first = false;
  }
  return out;
}

// Everything of a request's signature that can be checked without its body: steps 1 to 4,
// and what step 5 (the signature over the canonical request) needs.
struct sigv4_verifier::examined {
  std::string_view path, query;
  std::vector<std::pair<std::string, std::string>> query_pairs;
  presented_signature p;
  std::string request_stamp;
  std::vector<std::string> signed_names;
  std::string access_key_id, date, region, service;
  std::string secret;
};

std::variant<api::api_error, sigv4_verifier::examined> sigv4_verifier::examine(
    const request& req) const {
  examined e;
  const std::string_view target(req.target().data(), req.target().size());
  std::string_view& path = e.path;
  std::string_view& query = e.query;
  path = target;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  e.query_pairs = sigv4::parse_query(query);
  const auto& query_pairs = e.query_pairs;
  const bool query_auth = find(query_pairs, "X-Amz-Algorithm") != nullptr;
  const auto authorization_field = req.find(http::field::authorization);
  const bool header_auth = authorization_field != req.end();
  const std::string_view authorization = header_auth
                                             ? std::string_view(authorization_field->value().data(),
                                                                authorization_field->value().size())
                                             : std::string_view();

  // 1. Is there anything to check?
  if (header_auth && query_auth) {
    return api::invalid_signature(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
        "header.");
  }
  if ((!header_auth && !query_auth) || (header_auth && !authorization.starts_with("AWS4-"))) {
    return api::missing_authentication_token();
  }

  // 2. Are all the parts there?
  presented_signature& p = e.p;
  if (header_auth) {
    const auto params = authorization_parameters(authorization, p.algorithm);
    std::string missing;
    for (const std::string_view name : {"Credential", "Signature", "SignedHeaders"}) {
      const std::string* value = find(params, name);
      if (value == nullptr || value->empty()) {
        missing += "Authorization header requires '" + std::string(name) + "' parameter. ";
      }
    }
    if (auto date = header_value(req, "x-amz-date")) {
      p.date = *date;
    } else if (auto http_date = header_value(req, "date")) {
      p.date = *http_date;
      p.date_from_date_header = true;
    } else {
      missing +=
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
          "header. ";
    }
    if (!missing.empty()) {
      return api::incomplete_signature(missing + "Authorization=" + std::string(authorization));
    }
    p.credential = *find(params, "Credential");
    p.signed_headers = *find(params, "SignedHeaders");
    p.signature = *find(params, "Signature");
  } else {
    p.presigned = true;
    std::string missing;
    for (const std::string_view name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                        "X-Amz-SignedHeaders", "X-Amz-Date"}) {
      const std::string* value = find(query_pairs, name);
      if (value == nullptr || value->empty()) {
        missing += "AWS query-string parameters must include '" + std::string(name) + "'. ";
      }
    }
    if (!missing.empty()) {
      return api::incomplete_signature(missing + "Re-examine the query-string parameters.");
    }
    p.algorithm = *find(query_pairs, "X-Amz-Algorithm");
    p.credential = *find(query_pairs, "X-Amz-Credential");
    p.signed_headers = *find(query_pairs, "X-Amz-SignedHeaders");
    p.signature = *find(query_pairs, "X-Amz-Signature");
    p.date = *find(query_pairs, "X-Amz-Date");
    if (const std::string* expires = find(query_pairs, "X-Amz-Expires")) {
      long seconds = -1;
      const auto [end, ec] =
          std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
      if (ec != std::errc() || end != expires->data() + expires->size() || seconds < 1 ||
          seconds > max_presign_expires) {
        return api::incomplete_signature(
            "X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '" + *expires +
            "'. Re-examine the query-string parameters.");
      }
      p.expires = seconds;
    }
  }

  // The request's time.
  const auto request_time =
      p.date_from_date_header ? sigv4::parse_http_date(p.date) : sigv4::parse_amz_timestamp(p.date);
  if (!request_time) {
    return api::incomplete_signature("Date must be in ISO-8601 'basic format'. Got '" + p.date +
                                     "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  e.request_stamp = sigv4::amz_timestamp(*request_time);
  const std::string& request_stamp = e.request_stamp;

  // 3. Is it current, and does it sign what it must?
  const auto server_time = std::chrono::time_point_cast<std::chrono::seconds>(now());
  const auto past_limit = p.expires ? std::chrono::seconds(*p.expires) : options_.max_skew;
  if (*request_time < server_time - past_limit) {
    return api::invalid_signature("Signature expired: " + request_stamp + " is now earlier than " +
                                  sigv4::amz_timestamp(server_time - past_limit) + " (" +
                                  sigv4::amz_timestamp(server_time) + " - " +
                                  duration_text(past_limit) + ")");
  }
  if (*request_time > server_time + options_.max_skew) {
    return api::invalid_signature(
        "Signature not yet current: " + request_stamp + " is still later than " +
        sigv4::amz_timestamp(server_time + options_.max_skew) + " (" +
        sigv4::amz_timestamp(server_time) + " + " + duration_text(options_.max_skew) + ")");
  }

  std::vector<std::string>& signed_names = e.signed_names;
  for (const auto name : split(p.signed_headers, ';')) {
    if (!name.empty()) signed_names.push_back(lowercase(name));
  }
  auto is_signed = [&signed_names](std::string_view name) {
    return std::find(signed_names.begin(), signed_names.end(), name) != signed_names.end();
  };
  // HTTP/2 clients (the JS SDK v3) sign the :authority pseudo-header in place of Host; the
  // HTTP/2 session passes it on as a field of that name.
  if (!is_signed("host") && !is_signed(":authority")) {
    return api::invalid_signature(
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!p.presigned && !p.date_from_date_header && !is_signed("x-amz-date")) {
    return api::invalid_signature(
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!p.presigned && p.date_from_date_header && !is_signed("date")) {
    return api::invalid_signature("'Date' must be a 'SignedHeader' in the AWS Authorization.");
  }
  // What the request asks for must be signed too, or a captured request could be re-aimed at
  // another action (X-Amz-Target) or decoded differently (Content-Type).
  for (const std::string_view name : {"x-amz-target", "content-type"}) {
    if (req.find(name) != req.end() && !is_signed(name)) {
      return api::invalid_signature(
          "'" + std::string(name == "x-amz-target" ? "X-Amz-Target" : "Content-Type") +
          "' must be a 'SignedHeader' in the AWS Authorization.");
    }
  }

  if (p.algorithm != sigv4::algorithm) {
    return api::incomplete_signature("Unsupported AWS 'algorithm': '" + p.algorithm +
                                     "' (only AWS4-HMAC-SHA256 for now). ");
  }

  std::string_view credential = p.credential;
  while (credential.ends_with('/')) credential.remove_suffix(1);
  const auto scope = split(credential, '/');
  if (scope.size() != 5) {
    return api::incomplete_signature(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        p.credential + "'");
  }
  const std::string_view access_key_id = scope[0], date = scope[1], region = scope[2],
                         service = scope[3], term = scope[4];
  std::string scope_errors;
  auto add = [&scope_errors](const std::string& message) {
    if (!scope_errors.empty()) scope_errors += ' ';
    scope_errors += message;
  };
  if (region != options_.region) {
    add("Credential should be scoped to a valid region, not '" + std::string(region) + "'.");
  }
  if (service != options_.service) {
    add("Credential should be scoped to correct service: '" + options_.service + "'.");
  }
  if (term != sigv4::terminator) {
    add("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
        std::string(term) + "'.");
  }
  if (date != std::string_view(request_stamp).substr(0, 8)) {
    add("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(date) + "' != '" + request_stamp.substr(0, 8) + "', from '" + request_stamp +
        "'.");
  }
  if (!scope_errors.empty()) return api::invalid_signature(std::move(scope_errors));

  // 4. Whose key is it?
  const auto secret = keys_.secret(access_key_id);
  if (!secret) return api::unrecognized_client();
  // Temporary credentials are STS's; a security token cannot belong to a key in the file.
  if (req.find("X-Amz-Security-Token") != req.end() ||
      find(query_pairs, "X-Amz-Security-Token") != nullptr) {
    return api::unrecognized_client();
  }
  e.access_key_id = access_key_id;
  e.date = date;
  e.region = region;
  e.service = service;
  e.secret = *secret;
  return e;
}

std::optional<api::api_error> sigv4_verifier::check_headers(const request& req) const {
  auto examined_request = examine(req);
  if (auto* refused = std::get_if<api::api_error>(&examined_request)) return std::move(*refused);
  return std::nullopt;
}

std::optional<api::api_error> sigv4_verifier::verify(const request& req) const {
  auto examined_request = examine(req);
  if (auto* refused = std::get_if<api::api_error>(&examined_request)) return std::move(*refused);
  const examined& e = std::get<examined>(examined_request);
  const presented_signature& p = e.p;

  // 5. Does the signature match?
  std::vector<sigv4::header> headers;
  headers.reserve(e.signed_names.size());
  for (const auto& name : e.signed_names) {
    headers.emplace_back(name, header_value(req, name).value_or(std::string()));
  }
  const std::string canonical_headers = sigv4::canonical_headers(headers);
  const std::string names = sigv4::signed_header_names(headers);
  const std::string canonical_uri = sigv4::canonical_uri(e.path);
  const std::string canonical_query =
      sigv4::canonical_query(e.query, p.presigned ? "X-Amz-Signature" : "");
  const std::string method(req.method_string().data(), req.method_string().size());
  const std::string key = signing_key(e.access_key_id, e.secret, e.date);
  const std::string scope_text = sigv4::credential_scope(e.date, e.region, e.service);

  auto matches = [&](std::string_view payload_hash, std::string& canonical, std::string& sts) {
    canonical = sigv4::canonical_request(method, canonical_uri, canonical_query, canonical_headers,
                                         names, payload_hash);
    sts = sigv4::string_to_sign(e.request_stamp, scope_text, canonical);
    return sigv4::constant_time_equal(sigv4::signature(key, sts), p.signature);
  };
  std::string canonical, sts;
  const std::string body_hash = sigv4::sha256_hex(req.body());
  bool ok = matches(body_hash, canonical, sts);
  if (!ok && p.presigned && req.body().empty()) {
    std::string unsigned_canonical, unsigned_sts;
    ok = matches("UNSIGNED-PAYLOAD", unsigned_canonical, unsigned_sts);
  }
  if (!ok) {
    return api::invalid_signature(std::string(signature_mismatch) +
                                  "\n\nThe Canonical String for this request should have been\n'" +
                                  canonical + "'\n\nThe String-to-Sign should have been\n'" + sts +
                                  "'\n");
  }
  return std::nullopt;
}

}  // namespace spate::server
