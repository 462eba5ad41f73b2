// kinesis_wire: the bytes spate-bench sends and the answers it accepts. Builds complete
// HTTP/1.1 requests for Kinesis JSON 1.1 actions (POST /, X-Amz-Target, a SigV4 signature made
// with fixed fake credentials), the JSON bodies of the actions the benchmark calls, and parses
// every answer with simdjson into the few facts the benchmark checks and counts.
//
// Nothing here touches a socket; see http_connection.h. Every function is thread safe except
// through its arguments (a record_factory or a simdjson parser belongs to one thread).
#pragma once

#include "common/base64.h"
#include "common/sigv4.h"

#include <boost/system/result.hpp>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spate::bench {

// What went wrong with one call, as the report counts it. `kind` is the Kinesis error __type
// ("ResourceNotFoundException"), "HTTP <status>" for an error answer without one, "connection"
// for a transport failure, or "bad response" for an answer that breaks the API's shape.
struct call_error {
  // No one-argument constructor, so a std::string converts to a result's value, never to its error.
  call_error() = default;
  call_error(std::string kind_, std::string message_)
      : kind(std::move(kind_)), message(std::move(message_)) {}
  std::string kind;
  std::string message;
};

// boost::system::result<T, E>::value() throws through this on an error; spate-bench checks
// every result before it reads the value, so this only turns a bug into a readable message.
[[noreturn]] inline void throw_exception_from_error(const call_error& e,
                                                    const boost::source_location&) {
  throw std::runtime_error(e.kind + ": " + e.message);
}

template <class T = void>
using call_result = boost::system::result<T, call_error>;

inline call_error bad_response(std::string message) {
  return {"bad response", std::move(message)};
}

// --- endpoint ------------------------------------------------------------------------------

// Where the server listens, from "http://HOST:PORT" (a trailing "/" is allowed; HOST may be
// a bracketed IPv6 address). Only plain HTTP: the benchmark measures the server, not TLS.
struct endpoint {
  std::string host;         // for the resolver, brackets removed
  std::string port;         // "80" when the URL has none
  std::string host_header;  // as written in the URL, for Host and the signature
};

inline call_result<endpoint> parse_endpoint(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) return call_error{"usage", "endpoint must start with http://"};
  url.remove_prefix(scheme.size());
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos)
    return call_error{"usage", "endpoint must be http://HOST[:PORT]"};
  endpoint ep;
  ep.host_header = std::string(url);
  std::string_view host = url, port = "80";
  if (url.front() == '[') {
    const auto close = url.find(']');
    if (close == std::string_view::npos) return call_error{"usage", "unclosed [ in endpoint"};
    host = url.substr(1, close - 1);
    if (close + 1 < url.size()) {
      if (url[close + 1] != ':') return call_error{"usage", "bad port in endpoint"};
      port = url.substr(close + 2);
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return call_error{"usage", "bad endpoint"};
  ep.host = std::string(host);
  ep.port = std::string(port);
  return ep;
}

// --- encoding helpers -----------------------------------------------------------------------

// Appends the standard base64 form of `bytes` (common/base64, the codec spated decodes with).
inline void append_base64(std::string& out, std::string_view bytes) {
  base64::encode_append(bytes, out);
}

// How many bytes a base64 string decodes to, without decoding it.
inline std::size_t base64_decoded_size(std::string_view b64) {
  std::size_t padding = 0;
  if (!b64.empty() && b64.back() == '=') ++padding;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++padding;
  return b64.size() / 4 * 3 - padding;
}

// Appends `s` as a JSON string literal. Names, keys and iterators here are ASCII, so only
// quotes, backslashes and control characters need escaping.
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char digits[] = "0123456789abcdef";
      out += "\\u00";
      out += digits[(c >> 4) & 15];
      out += digits[c & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

// --- requests -------------------------------------------------------------------------------

// Signs requests the way botocore does (AWS Signature Version 4, service "kinesis"), with the
// example credentials of AWS's own documentation: servers that only require the header (as
// kinesalite does) accept it, and one that checks signatures can be given the fake secret.
// Signatures match botocore's SigV4Auth for the same request, time and credentials.
// The timestamp is fixed when the signer is made; a benchmark run lasts minutes, well inside
// the 15-minute skew AWS allows.
class sigv4_signer {
 public:
  static constexpr std::string_view access_key = "AKIDEXAMPLE";
  static constexpr std::string_view secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  static constexpr std::string_view region = "us-east-1";
  static constexpr std::string_view service = "kinesis";

  explicit sigv4_signer(std::string host_header, std::chrono::system_clock::time_point now =
                                                     std::chrono::system_clock::now())
      : host_header_(std::move(host_header)), amz_date_(sigv4::amz_timestamp(now)) {
    const std::string date = amz_date_.substr(0, 8);
    scope_ = sigv4::credential_scope(date, region, service);
    signing_key_ = sigv4::signing_key(secret_key, date, region, service);
  }

  const std::string& host_header() const { return host_header_; }

  // A complete HTTP/1.1 request (head and body) calling `action` with `body`, JSON unless
  // another `content_type` is given (application/x-amz-cbor-1.1).
  std::string request(std::string_view action, std::string_view body,
                      std::string_view content_type = "application/x-amz-json-1.1") const {
    std::string target = "Kinesis_20131202.";
    target += action;
    const std::vector<sigv4::header> signed_headers = {{"content-type", std::string(content_type)},
                                                       {"host", host_header_},
                                                       {"x-amz-date", amz_date_},
                                                       {"x-amz-target", target}};
    const std::string canonical = sigv4::canonical_request(
        "POST", "/", "", sigv4::canonical_headers(signed_headers),
        sigv4::signed_header_names(signed_headers), sigv4::sha256_hex(body));
    const std::string signature =
        sigv4::signature(signing_key_, sigv4::string_to_sign(amz_date_, scope_, canonical));

    std::string out;
    out.reserve(body.size() + 512);
    out += "POST / HTTP/1.1\r\nHost: ";
    out += host_header_;
    out += "\r\nContent-Type: ";
    out += content_type;
    out += "\r\nX-Amz-Target: ";
    out += target;
    out += "\r\nX-Amz-Date: ";
    out += amz_date_;
    out += "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=";
    out += access_key;
    out += '/';
    out += scope_;
    out += ", SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=";
    out += signature;
    out += "\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n\r\n";
    out += body;
    return out;
  }

 private:
  std::string host_header_;
  std::string amz_date_;
  std::string scope_;
  std::string signing_key_;
};

// Random record contents: `size` bytes of random data and a random partition key per record,
// so records spread over every shard and compress like real payloads (not at all).
class record_factory {
 public:
  explicit record_factory(std::uint64_t seed) : rng_(seed) {}

  std::string partition_key() {
    static constexpr char digits[] = "0123456789abcdef";
    std::string key = "pk-";
    std::uint64_t bits = rng_();
    for (int i = 0; i < 16; ++i, bits >>= 4) key += digits[bits & 15];
    return key;
  }

  std::string data(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; i += 8) {
      const std::uint64_t bits = rng_();
      std::memcpy(bytes.data() + i, &bits, std::min<std::size_t>(8, size - i));
    }
    return bytes;
  }

 private:
  std::mt19937_64 rng_;
};

inline std::string put_records_body(std::string_view stream, record_factory& records,
                                    std::size_t count, std::size_t record_size) {
  std::string body;
  body.reserve(64 + count * (4 * record_size / 3 + 64));
  body += "{\"StreamName\":";
  append_json_string(body, stream);
  body += ",\"Records\":[";
  for (std::size_t i = 0; i < count; ++i) {
    body += i ? ",{\"Data\":\"" : "{\"Data\":\"";
    append_base64(body, records.data(record_size));
    body += "\",\"PartitionKey\":\"";
    body += records.partition_key();
    body += "\"}";
  }
  body += "]}";
  return body;
}

inline std::string put_record_body(std::string_view stream, record_factory& records,
                                   std::size_t record_size) {
  std::string body = "{\"StreamName\":";
  append_json_string(body, stream);
  body += ",\"Data\":\"";
  append_base64(body, records.data(record_size));
  body += "\",\"PartitionKey\":\"";
  body += records.partition_key();
  body += "\"}";
  return body;
}

inline std::string stream_body(std::string_view stream) {
  std::string body = "{\"StreamName\":";
  append_json_string(body, stream);
  body += '}';
  return body;
}

inline std::string create_stream_body(std::string_view stream, int shards) {
  std::string body = "{\"StreamName\":";
  append_json_string(body, stream);
  body += ",\"ShardCount\":" + std::to_string(shards) + '}';
  return body;
}

inline std::string list_shards_body(std::string_view stream, std::string_view next_token) {
  if (next_token.empty()) return stream_body(stream);
  std::string body = "{\"NextToken\":";
  append_json_string(body, next_token);
  body += '}';
  return body;
}

// GetShardIterator of `type` (TRIM_HORIZON, LATEST: types without further members).
inline std::string shard_iterator_body(std::string_view stream, std::string_view shard,
                                       std::string_view type) {
  std::string body = "{\"StreamName\":";
  append_json_string(body, stream);
  body += ",\"ShardId\":";
  append_json_string(body, shard);
  body += ",\"ShardIteratorType\":";
  append_json_string(body, type);
  body += '}';
  return body;
}

inline std::string get_records_body(std::string_view iterator, int limit) {
  std::string body = "{\"ShardIterator\":";
  append_json_string(body, iterator);
  body += ",\"Limit\":" + std::to_string(limit) + '}';
  return body;
}

// --- answers --------------------------------------------------------------------------------

// An HTTP answer as read. Its body is the first `size` bytes of `storage`, which always holds
// SIMDJSON_PADDING more bytes, so simdjson can parse it in place. The storage only grows, and
// is reused from one answer to the next without being cleared.
struct http_reply {
  unsigned status = 0;
  std::size_t size = 0;
  std::string storage;

  std::string_view body() const { return {storage.data(), size}; }

  // Makes room for a body of `n` bytes (contents unspecified until written) and sets size.
  void fit(std::size_t n) {
    if (storage.size() < n + simdjson::SIMDJSON_PADDING)
      storage.resize(n + n / 2 + simdjson::SIMDJSON_PADDING);
    size = n;
  }

  // A reply that holds `text` as its body, padded like one read from a socket.
  static http_reply holding(unsigned status, std::string_view text) {
    http_reply r;
    r.status = status;
    r.fit(text.size());
    std::copy(text.begin(), text.end(), r.storage.begin());
    return r;
  }
};

// The Kinesis error in a non-200 answer: its __type without any "namespace#" prefix.
inline call_error reply_error(simdjson::ondemand::parser& parser, const http_reply& reply) {
  call_error error{"HTTP " + std::to_string(reply.status), ""};
  simdjson::ondemand::document doc;
  if (parser.iterate(reply.storage.data(), reply.size, reply.storage.size()).get(doc)) return error;
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return error;
  for (auto field : root) {
    std::string_view key, value;
    if (field.unescaped_key().get(key)) break;
    if (field.value().get_string().get(value)) continue;
    if (key == "__type") {
      if (const auto hash = value.rfind('#'); hash != std::string_view::npos)
        value.remove_prefix(hash + 1);
      error.kind = std::string(value);
    } else if (key == "message" || key == "Message") {
      error.message = std::string(value);
    }
  }
  return error;
}

namespace detail {

// Starts parsing a 200 answer's body as a JSON object; non-200 answers become their error.
inline call_result<simdjson::ondemand::object> open_object(simdjson::ondemand::parser& parser,
                                                           const http_reply& reply,
                                                           simdjson::ondemand::document& doc) {
  if (reply.status != 200) return reply_error(parser, reply);
  if (auto e = parser.iterate(reply.storage.data(), reply.size, reply.storage.size()).get(doc))
    return bad_response(simdjson::error_message(e));
  simdjson::ondemand::object root;
  if (auto e = doc.get_object().get(root)) return bad_response(simdjson::error_message(e));
  return root;
}

}  // namespace detail

// PutRecords: how many of the `sent` records were stored, how many failed and the first
// failure's ErrorCode. An answer whose Records array does not hold one entry per record sent,
// or whose FailedRecordCount disagrees with it, is a bad response.
struct put_records_reply {
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::string first_error_code;
};

// The checks of a PutRecords answer that do not depend on its encoding: one entry for every
// record sent, and FailedRecordCount (when the answer has one) agreeing with the entries.
inline call_result<put_records_reply> checked_counts(put_records_reply out, std::size_t sent,
                                                     std::optional<double> failed_count) {
  if (out.succeeded + out.failed != sent)
    return bad_response("PutRecords answered " + std::to_string(out.succeeded + out.failed) +
                        " records for " + std::to_string(sent) + " sent");
  if (failed_count && *failed_count != static_cast<double>(out.failed))
    return bad_response("FailedRecordCount disagrees with the records' ErrorCodes");
  return out;
}

inline call_result<put_records_reply> parse_put_records(simdjson::ondemand::parser& parser,
                                                        const http_reply& reply, std::size_t sent) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  put_records_reply out;
  std::optional<double> failed_count;
  bool saw_records = false;
  for (auto field : *root) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return bad_response(simdjson::error_message(e));
    if (key == "FailedRecordCount") {
      std::int64_t n = 0;
      if (field.value().get_int64().get(n))
        return bad_response("FailedRecordCount is not an integer");
      failed_count = static_cast<double>(n);
    } else if (key == "Records") {
      saw_records = true;
      simdjson::ondemand::array records;
      if (field.value().get_array().get(records)) return bad_response("Records is not an array");
      for (auto entry : records) {
        simdjson::ondemand::object record;
        if (entry.get_object().get(record)) return bad_response("a record is not an object");
        bool has_sequence = false, has_shard = false;
        std::string_view error_code;
        for (auto f : record) {
          std::string_view k;
          if (f.unescaped_key().get(k)) return bad_response("bad key in a record");
          if (k == "SequenceNumber") {
            has_sequence = true;
          } else if (k == "ShardId") {
            has_shard = true;
          } else if (k == "ErrorCode") {
            // kinesis-mock writes "ErrorCode":null on success; the SDKs read null as absent.
            auto v = f.value();
            bool null = false;
            if ((v.is_null().get(null) || !null) && v.get_string().get(error_code)) {
              error_code = "ErrorCode";
            }
          }
        }
        if (!error_code.empty()) {
          if (out.first_error_code.empty()) out.first_error_code = std::string(error_code);
          ++out.failed;
        } else if (has_sequence && has_shard) {
          ++out.succeeded;
        } else {
          return bad_response("a record has neither SequenceNumber and ShardId nor ErrorCode");
        }
      }
    }
  }
  if (!saw_records) return bad_response("no Records in PutRecords answer");
  return checked_counts(std::move(out), sent, failed_count);
}

// PutRecord: the answer must carry the record's SequenceNumber and ShardId.
inline call_result<> parse_put_record(simdjson::ondemand::parser& parser, const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  bool has_sequence = false, has_shard = false;
  for (auto field : *root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "SequenceNumber") has_sequence = true;
    if (key == "ShardId") has_shard = true;
  }
  if (!has_sequence || !has_shard) return bad_response("PutRecord answer lacks SequenceNumber");
  return {};
}

// GetRecords: how many records came back and how many data bytes they carry (decoded), the
// next iterator (empty at the end of a closed shard) and MillisBehindLatest (-1 if absent).
struct get_records_reply {
  std::size_t records = 0;
  std::uint64_t payload_bytes = 0;
  std::string next_iterator;
  std::int64_t millis_behind = -1;
};

inline call_result<get_records_reply> parse_get_records(simdjson::ondemand::parser& parser,
                                                        const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  get_records_reply out;
  bool saw_records = false;
  for (auto field : *root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "Records") {
      saw_records = true;
      simdjson::ondemand::array records;
      if (field.value().get_array().get(records)) return bad_response("Records is not an array");
      for (auto entry : records) {
        simdjson::ondemand::object record;
        if (entry.get_object().get(record)) return bad_response("a record is not an object");
        bool has_sequence = false, has_data = false;
        for (auto f : record) {
          std::string_view k;
          if (f.unescaped_key().get(k)) return bad_response("bad key in a record");
          if (k == "Data") {
            std::string_view data;
            if (f.value().get_string().get(data)) return bad_response("Data is not a string");
            out.payload_bytes += base64_decoded_size(data);
            has_data = true;
          } else if (k == "SequenceNumber") {
            has_sequence = true;
          }
        }
        if (!has_sequence || !has_data)
          return bad_response("a record lacks Data or SequenceNumber");
        ++out.records;
      }
    } else if (key == "NextShardIterator") {
      std::string_view next;
      if (field.value().get_string().get(next) == simdjson::SUCCESS)
        out.next_iterator = std::string(next);
    } else if (key == "MillisBehindLatest") {
      if (field.value().get_int64().get(out.millis_behind))
        return bad_response("MillisBehindLatest is not an integer");
    }
  }
  if (!saw_records) return bad_response("no Records in GetRecords answer");
  return out;
}

// GetShardIterator: the iterator.
inline call_result<std::string> parse_shard_iterator(simdjson::ondemand::parser& parser,
                                                     const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  std::string_view iterator;
  if (root->find_field_unordered("ShardIterator").get_string().get(iterator))
    return bad_response("no ShardIterator");
  return std::string(iterator);
}

// DescribeStreamSummary: StreamStatus and OpenShardCount.
struct stream_summary {
  std::string status;
  std::int64_t open_shards = -1;
};

inline call_result<stream_summary> parse_stream_summary(simdjson::ondemand::parser& parser,
                                                        const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  simdjson::ondemand::object summary;
  if (root->find_field_unordered("StreamDescriptionSummary").get_object().get(summary))
    return bad_response("no StreamDescriptionSummary");
  stream_summary out;
  for (auto field : summary) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "StreamStatus") {
      std::string_view status;
      if (field.value().get_string().get(status)) return bad_response("bad StreamStatus");
      out.status = std::string(status);
    } else if (key == "OpenShardCount") {
      if (field.value().get_int64().get(out.open_shards)) return bad_response("bad OpenShardCount");
    }
  }
  if (out.status.empty()) return bad_response("no StreamStatus");
  return out;
}

// ListShards: one page of shard ids and the token of the next page (empty on the last).
struct shard_page {
  std::vector<std::string> shard_ids;
  std::string next_token;
};

inline call_result<shard_page> parse_list_shards(simdjson::ondemand::parser& parser,
                                                 const http_reply& reply) {
  simdjson::ondemand::document doc;
  auto root = detail::open_object(parser, reply, doc);
  if (!root) return root.error();
  shard_page out;
  for (auto field : *root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_response("bad key");
    if (key == "Shards") {
      simdjson::ondemand::array shards;
      if (field.value().get_array().get(shards)) return bad_response("Shards is not an array");
      for (auto shard : shards) {
        std::string_view id;
        if (shard.find_field_unordered("ShardId").get_string().get(id))
          return bad_response("a shard lacks ShardId");
        out.shard_ids.emplace_back(id);
      }
    } else if (key == "NextToken") {
      std::string_view token;
      if (field.value().get_string().get(token) == simdjson::SUCCESS)
        out.next_token = std::string(token);
    }
  }
  return out;
}

}  // namespace spate::bench
