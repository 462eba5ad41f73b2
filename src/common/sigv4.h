// sigv4: the pure pieces of AWS Signature Version 4 that both sides need: the client signer
// (src/client/sigv4) that builds Authorization headers and the server verifier
// (src/server/sigv4_verifier) that checks them. Layer-neutral: strings in, strings out, no
// HTTP library types, no I/O, no clocks.
//
// The steps (AWS "Create a signed AWS API request"): canonical request = method, canonical URI,
// canonical query string, canonical headers (lower-case names, trimmed values, sorted), signed
// header names, hex SHA-256 of the payload; string to sign = "AWS4-HMAC-SHA256", ISO 8601 basic
// time, scope (date/region/service/aws4_request), hex SHA-256 of the canonical request; signing
// key = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request"; signature = hex
// HMAC of the string to sign under the signing key.
//
// Thread safety: every function is pure and may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::sigv4 {

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view terminator = "aws4_request";
inline constexpr std::string_view empty_body_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// --- bytes ---------------------------------------------------------------------------------

std::string to_hex(std::string_view bytes);  // lower-case
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
// Compares in time that depends only on the lengths, never on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// --- canonical request parts -----------------------------------------------------------------

// Percent-encodes every byte but the unreserved ones (and '/' when `keep_slash`), with
// upper-case hex, as AWS's UriEncode() and Python's quote() do.
std::string uri_encode(std::string_view s, bool keep_slash);
// Undoes %XX escapes; a '%' not followed by two hex digits stays as it is. '+' is left alone:
// in a query it is a literal plus to SigV4, not a space.
std::string percent_decode(std::string_view s);
// RFC 3986 5.2.4 dot-segment removal, also dropping empty segments, keeping a leading and a
// trailing '/' (botocore's remove_dot_segments()).
std::string normalize_path(std::string_view path);
// The path as it is signed by every service but S3: normalized, then encoded once more.
std::string canonical_uri(std::string_view path);

// The query's name=value pairs, each part decoded (the escapes it arrived with) and in order.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);
// Pairs decoded, encoded the AWS way, sorted, joined with '&'; a pair whose decoded name is
// `skip` (e.g. "X-Amz-Signature" when checking a presigned URL) is left out.
std::string canonical_query(std::string_view query, std::string_view skip = {});

// Trimall(): no white space at either end, every inner run of it one space.
std::string trim_all(std::string_view value);

// One signed header: lower-case name, value already trimmed (repeats joined with ',').
using header = std::pair<std::string, std::string>;
// "name:value\n" per header, in the order given (callers sort by name).
std::string canonical_headers(const std::vector<header>& headers);
// "name;name;..." in the order given.
std::string signed_header_names(const std::vector<header>& headers);

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash);

// --- time, scope, key, signature ------------------------------------------------------------

// "YYYYMMDDTHHMMSSZ" for a UTC time (whole seconds).
std::string amz_timestamp(std::chrono::system_clock::time_point t);
// Parses "YYYYMMDDTHHMMSSZ" (ISO 8601 basic format, UTC); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_amz_timestamp(std::string_view s);
// Parses an HTTP date ("Sun, 30 Aug 2015 12:36:00 GMT", also "+0000"/"-0000" for GMT, as
// Python's email.utils.formatdate() writes it); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s);

// "date/region/service/aws4_request"
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);
std::string string_to_sign(std::string_view timestamp, std::string_view scope,
                           std::string_view canonical_request);
// kSigning: HMAC("AWS4"+secret, date) -> region -> service -> "aws4_request" (raw bytes).
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
// Hex HMAC of the string to sign under the signing key.
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

}  // namespace spate::sigv4
