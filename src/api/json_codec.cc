// json_codec: simdjson DOM -> value, and a direct value -> text writer.
#include "api/json_codec.h"

#include "common/base64.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace spate::api {
namespace {

value from_dom(simdjson::dom::element e, const decode_guide& guide);

// A container where the guide expects a scalar keeps its kind, not its contents.
value shallow(simdjson::dom::element_type t) {
  return t == simdjson::dom::element_type::ARRAY ? value::array() : value::object();
}

value from_dom(simdjson::dom::element e, const decode_guide& guide) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object;
      if (e.get(object) != simdjson::SUCCESS) return value();
      std::vector<value::member> members;
      const std::size_t keep = guide.max_items();
      if (keep == 0) return value::object();
      for (auto field : object) {
        if (members.size() >= keep) break;
        const auto sub = guide.member(field.key);
        if (!sub) continue;
        if (guide.skips_repeats() &&
            std::any_of(members.begin(), members.end(),
                        [&](const value::member& m) { return m.first == field.key; })) {
          continue;
        }
        members.emplace_back(std::string(field.key), from_dom(field.value, *sub));
      }
      return value::object(std::move(members));
    }
    case element_type::ARRAY: {
      simdjson::dom::array array;
      if (e.get(array) != simdjson::SUCCESS) return value();
      const auto sub = guide.item();
      if (!sub) return shallow(element_type::ARRAY);
      std::vector<value> items;
      const std::size_t keep = guide.max_items();
      items.reserve(std::min(array.size(), keep));
      for (auto item : array) {
        if (items.size() >= keep) break;
        items.push_back(from_dom(item, *sub));
      }
      return value::array(std::move(items));
    }
    case element_type::STRING:
      return value::string(std::string(e.get_string().value_unsafe()));
    case element_type::INT64:
      return value::integer(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return value::number(static_cast<double>(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return value::number(e.get_double().value_unsafe());
    case element_type::BOOL:
      return value::boolean(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE:
      return value();
  }
  return value();
}

}  // namespace

std::size_t json_elements_bound(std::string_view body) {
  // One branch-free pass the compiler vectorizes (three std::count passes cost 12% of an
  // HTTP/2 PutRecords run's CPU).
  std::size_t n = 0;
  for (const char c : body) n += static_cast<std::size_t>((c == ',') | (c == '[') | (c == '{'));
  return n;
}

bool json_elements_within_bounds(std::string_view body) {
  // Below this size the parser's work and memory are small whatever the document holds.
  constexpr std::size_t unchecked_body = 1u << 20;
  return body.size() <= unchecked_body || json_elements_bound(body) <= max_json_elements;
}

void release_large_parser(simdjson::dom::parser& parser) {
  if (parser.capacity() > retained_parser_capacity) {
    // A shrink that fails leaves the larger buffers in place: memory kept, nothing lost.
    const simdjson::error_code shrunk = parser.allocate(retained_parser_capacity);
    (void)shrunk;
  }
}

std::optional<value> decode_json(std::string_view body, const decode_guide& guide,
                                 json_error* error) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return value::object();
  if (!json_elements_within_bounds(body)) {
    if (error) error->message = "too many elements";
    return std::nullopt;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  auto parsed = parser.parse(padded);
  if (parsed.error()) {
    if (error) error->message = simdjson::error_message(parsed.error());
    release_large_parser(parser);
    return std::nullopt;
  }
  value out = from_dom(parsed.value_unsafe(), guide);
  release_large_parser(parser);
  return out;
}

std::optional<value> decode_json(std::string_view body, json_error* error) {
  return decode_json(body, decode_guide::everything(), error);
}

namespace {

constexpr std::array<bool, 256> make_escape_table() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}
constexpr auto needs_escape = make_escape_table();

// An integer in decimal, without fmt's formatting machinery (every record's arrival time).
template <class Integer>
void append_integer(Integer value, std::string& out) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace

// True if any of the 8 bytes in `w` is a control character, '"' or '\\' (the classic
// "has a byte less than n" and "has a zero byte" word tricks).
inline bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t x) { return ((x - ones) & ~x & highs) != 0; };
  const bool control = ((w - ones * 0x20) & ~w & highs) != 0;
  return control || has_zero(w ^ (ones * '"')) || has_zero(w ^ (ones * '\\'));
}

namespace {

// The two-character escape of each character that has one (\" \\ \n \r \t \b \f), else 0: the
// others below 0x20 are written \u00XX.
constexpr std::array<char, 256> make_short_escapes() {
  std::array<char, 256> table{};
  table['"'] = '"';
  table['\\'] = '\\';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['\b'] = 'b';
  table['\f'] = 'f';
  return table;
}
constexpr auto short_escapes = make_short_escapes();

// How many leading bytes of `text` need no escape, found 8 bytes at a time: most strings
// (sequence numbers, ids, keys) need none, and this is all the scan they get.
std::size_t clean_prefix(std::string_view text) {
  std::size_t clean = 0;
  while (clean + 8 <= text.size()) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + clean, 8);
    if (word_needs_escape(w)) return clean;
    clean += 8;
  }
  return clean;
}

}  // namespace

std::size_t json_string_size(std::string_view text) {
  std::size_t size = text.size() + 2;
  for (std::size_t i = clean_prefix(text); i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (needs_escape[c]) size += short_escapes[c] ? 1 : 5;
  }
  return size;
}

char* write_json_string(std::string_view text, char* out) {
  static constexpr char hex[] = "0123456789abcdef";
  *out++ = '"';
  const std::size_t clean = clean_prefix(text);
  std::memcpy(out, text.data(), clean);
  out += clean;
  for (std::size_t i = clean; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!needs_escape[c]) {
      *out++ = static_cast<char>(c);
    } else if (short_escapes[c]) {
      *out++ = '\\';
      *out++ = short_escapes[c];
    } else {
      std::memcpy(out, "\\u00", 4);
      out[4] = hex[c >> 4];
      out[5] = hex[c & 15];
      out += 6;
    }
  }
  *out++ = '"';
  return out;
}

void append_json_string(std::string_view text, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + json_string_size(text));
  write_json_string(text, out.data() + start);
}

char* write_json_timestamp(std::int64_t epoch_ms, char* out) {
  // Integer arithmetic: exact, and several times cheaper than printing a double.
  const bool negative = epoch_ms < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(epoch_ms) : static_cast<std::uint64_t>(epoch_ms);
  if (negative) *out++ = '-';
  out = std::to_chars(out, out + 20, magnitude / 1000).ptr;
  const auto millis = static_cast<unsigned>(magnitude % 1000);
  if (millis != 0) {
    const char digits[4] = {'.', static_cast<char>('0' + millis / 100),
                            static_cast<char>('0' + millis / 10 % 10),
                            static_cast<char>('0' + millis % 10)};
    std::size_t n = 4;
    while (digits[n - 1] == '0') --n;  // 1.5, not 1.500
    std::memcpy(out, digits, n);
    out += n;
  }
  return out;
}

void json_encoder::separate() {
  if (!first_) out_.push_back(',');
  first_ = false;
}
void json_encoder::begin_object() {
  separate();
  out_.push_back('{');
  first_ = true;
}
void json_encoder::end_object() {
  out_.push_back('}');
  first_ = false;
}
void json_encoder::begin_array() {
  separate();
  out_.push_back('[');
  first_ = true;
}
void json_encoder::end_array() {
  out_.push_back(']');
  first_ = false;
}
void json_encoder::encoded(std::string_view value_bytes) {
  separate();
  out_.append(value_bytes);
}
std::string& json_encoder::value_buffer() {
  separate();
  return out_;
}
std::unique_ptr<encoder> json_encoder::same_codec(std::string& out) const {
  return std::make_unique<json_encoder>(out);
}
void json_encoder::key(std::string_view name) {
  separate();
  append_json_string(name, out_);
  out_.push_back(':');
  first_ = true;  // the member's value follows without a comma
}
void json_encoder::string(std::string_view text) {
  separate();
  append_json_string(text, out_);
}
void json_encoder::blob(std::string_view bytes) {
  separate();
  out_.push_back('"');
  base64::encode_append(bytes, out_);
  out_.push_back('"');
}
void json_encoder::integer(std::int64_t i) {
  separate();
  append_integer(i, out_);
}
void json_encoder::number(double d) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", d);
}
void json_encoder::timestamp(std::int64_t epoch_ms) {
  separate();
  char text[max_json_timestamp_size];
  out_.append(text, write_json_timestamp(epoch_ms, text));
}

void json_encoder::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
}
void json_encoder::null() {
  separate();
  out_ += "null";
}

void encode_json(const value& v, std::string& out) {
  json_encoder encoder(out);
  encode_value(v, encoder);
}

std::string encode_json(const value& v) {
  std::string out;
  encode_json(v, out);
  return out;
}

}  // namespace spate::api
