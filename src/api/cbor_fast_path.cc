// cbor_fast_path: a cursor over the few CBOR items a PutRecords request holds, checked with
// the same member rules as the JSON fast path (put_records_entries.h); fuzzed against the
// generic path by fuzz/cbor_fast_path.cc.
#include "api/cbor_fast_path.h"

#include "api/cbor_codec.h"
#include "api/put_records_entries.h"
#include "common/ascii.h"

#include <simdjson.h>

#include <cstdint>
#include <vector>

namespace spate::api {
namespace {

namespace entries = put_records_entries;

// A container's count when it ends in a break.
constexpr std::uint64_t indefinite_count = UINT64_MAX;

class cursor {
 public:
  explicit cursor(std::string_view body)
      : p_(reinterpret_cast<const std::uint8_t*>(body.data())), end_(p_ + body.size()) {}

  // Every byte read, and no container left open.
  bool complete() const { return p_ == end_ && !unclosed_; }

  // The head of the next item if it has `major` type: its count or length (`indefinite_count` for
  // a container that ends in a break, when allowed).
  bool head(std::uint8_t major, std::uint64_t& arg, bool may_be_indefinite) {
    if (p_ == end_ || *p_ >> 5 != major) return false;
    const std::uint8_t info = *p_++ & 31;
    if (info < 24) {
      arg = info;
      return true;
    }
    if (info == 31) {
      arg = indefinite_count;
      return may_be_indefinite;
    }
    if (info > 27) return false;
    const std::size_t n = std::size_t{1} << (info - 24);
    if (static_cast<std::size_t>(end_ - p_) < n) return false;
    arg = 0;
    for (std::size_t i = 0; i < n; ++i) arg = arg << 8 | *p_++;
    return true;
  }

  // A definite-length string of `major` type (text must be UTF-8).
  bool string(std::uint8_t major, std::string_view& out) {
    std::uint64_t length = 0;
    if (!head(major, length, false) || length > static_cast<std::uint64_t>(end_ - p_)) {
      return false;
    }
    out = {reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length)};
    p_ += length;
    return major != cbor_major::text || ascii::all_ascii(out) ||
           simdjson::validate_utf8(out.data(), out.size());
  }

  // Whether a container of `count` items (or `indefinite_count`) has another after `seen`.
  bool more(std::uint64_t count, std::uint64_t seen) {
    if (count != indefinite_count) return seen < count;
    if (p_ == end_) {
      unclosed_ = true;  // the body ends before the break
      return false;
    }
    if (*p_ == 0xff) {
      ++p_;
      return false;
    }
    return true;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool unclosed_ = false;
};

bool read_entry(cursor& in, entries::entry& out) {
  std::uint64_t members = 0;
  if (!in.head(cbor_major::map, members, true)) return false;
  bool has_key = false, has_data = false, has_hash_key = false;
  for (std::uint64_t seen = 0; in.more(members, seen); ++seen) {
    std::string_view name, key;
    if (!in.string(cbor_major::text, name)) return false;
    if (name == "PartitionKey") {
      if (has_key || !in.string(cbor_major::text, out.partition_key) ||
          !entries::valid_partition_key(out.partition_key)) {
        return false;
      }
      has_key = true;
    } else if (name == "Data") {
      if (has_data || !in.string(cbor_major::bytes, out.data)) return false;
      has_data = true;
    } else if (name == "ExplicitHashKey") {
      if (has_hash_key || !in.string(cbor_major::text, key) ||
          !entries::valid_explicit_hash_key(key)) {
        return false;
      }
      out.explicit_hash_key = key;
      has_hash_key = true;
    } else {
      return false;
    }
  }
  return has_key && has_data;
}

bool read_records(cursor& in, std::vector<entries::entry>& out) {
  std::uint64_t count = 0;
  if (!in.head(cbor_major::array, count, true)) return false;
  if (count != indefinite_count && count > kinesis::put_records_max_entries) return false;
  for (std::uint64_t seen = 0; in.more(count, seen); ++seen) {
    if (out.size() == kinesis::put_records_max_entries) return false;
    if (!read_entry(in, out.emplace_back())) return false;
  }
  return true;
}

}  // namespace

bool parse_put_records_cbor(std::string_view body, parsed_put_records& out) {
  out.stream_name.reset();
  out.stream_arn.reset();
  cursor in(body);
  std::uint64_t members = 0;
  if (!in.head(cbor_major::map, members, true)) return false;
  std::vector<entries::entry> records;
  bool has_records = false;
  for (std::uint64_t seen = 0; in.more(members, seen); ++seen) {
    std::string_view name, text;
    if (!in.string(cbor_major::text, name)) return false;
    if (name == "Records") {
      if (has_records || !read_records(in, records)) return false;
      has_records = true;
    } else if (name == "StreamName") {
      if (out.stream_name || !in.string(cbor_major::text, text) ||
          !entries::valid_stream_name(text)) {
        return false;
      }
      out.stream_name.emplace(text);
    } else if (name == "StreamARN") {
      if (out.stream_arn || !in.string(cbor_major::text, text) ||
          !entries::valid_stream_arn(text)) {
        return false;
      }
      out.stream_arn.emplace(text);
    } else {
      return false;
    }
  }
  return has_records && in.complete() && entries::assemble(records, false, out);
}

bool try_put_records_cbor(std::string_view body, action_context& ctx, const responder& respond) {
  parsed_put_records parsed;
  if (!parse_put_records_cbor(body, parsed)) return false;
  put_records_entries::put(parsed, ctx, respond);
  return true;
}

}  // namespace spate::api
