// cbor_codec: a bounds-checked recursive-descent decoder and a definite-length encoder.
#include "api/cbor_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>

namespace spate::api {
namespace {

constexpr std::uint8_t indefinite = 31;
constexpr auto break_byte = static_cast<char>(0xff);
constexpr std::uint64_t max_int64 = std::numeric_limits<std::int64_t>::max();
// Elements reserved up front for a definite-length container: a declared count is only
// bounded by the bytes left, and nested containers each declaring that much would reserve
// far more memory than the document holds; beyond this, storage grows with what is decoded.
constexpr std::size_t max_reserve = 256;

// Each error's name and what it means, in cbor_errc's order (truncated is 1).
struct errc_text {
  std::string_view name;
  std::string_view description;
};
constexpr std::array<errc_text, 11> errc_texts = {{
    {"truncated", "the document ends inside an item"},
    {"bad_additional_info", "reserved or misplaced additional information"},
    {"trailing_bytes", "bytes follow the top-level item"},
    {"non_string_map_key", "a map key is not a text string"},
    {"too_deep", "items nest too deeply"},
    {"unexpected_break", "a break outside an indefinite-length item"},
    {"bad_chunk",
     "an indefinite-length string holds a chunk that is not a definite string of its type"},
    {"invalid_utf8", "a text string is not valid UTF-8"},
    {"bad_simple_value", "an unsupported simple value"},
    {"bad_timestamp", "tag 1 must hold a number of epoch milliseconds within range"},
    {"bad_bignum", "a bignum tag must hold a byte string"},
}};
static_assert(static_cast<std::size_t>(cbor_errc::bad_bignum) == errc_texts.size());

const errc_text* text_of(cbor_errc e) {
  const auto i = static_cast<std::size_t>(e);
  return i >= 1 && i <= errc_texts.size() ? &errc_texts[i - 1] : nullptr;
}

double half_to_double(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);
  } else if (exponent != 31) {
    v = std::ldexp(mantissa + 1024, exponent - 25);
  } else {
    v = mantissa == 0 ? std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::quiet_NaN();
  }
  return (h & 0x8000) ? -v : v;
}

class decoder {
 public:
  explicit decoder(std::string_view in) : in_(in) {}

  std::optional<value> document(const decode_guide& guide, cbor_error* error) {
    value out;
    if (item(out, 0, guide) && pos_ != in_.size()) fail(cbor_errc::trailing_bytes, pos_);
    if (failed_) {
      if (error) *error = error_;
      return std::nullopt;
    }
    return out;
  }

 private:
  // The initial byte of an item and its argument. `indef` is set (and `arg` is 0) for
  // additional information 31.
  struct head {
    std::size_t start;
    std::uint8_t major;
    std::uint8_t info;
    std::uint64_t arg;
    bool indef;
  };

  bool fail(cbor_errc code, std::size_t offset) {
    if (!failed_) error_ = {code, offset};
    failed_ = true;
    return false;
  }

  std::size_t left() const { return in_.size() - pos_; }

  bool read_head(head& h) {
    h.start = pos_;
    if (left() == 0) return fail(cbor_errc::truncated, pos_);
    const auto b = static_cast<std::uint8_t>(in_[pos_++]);
    h.major = b >> 5;
    h.info = b & 0x1f;
    h.arg = 0;
    h.indef = false;
    if (h.info < 24) {
      h.arg = h.info;
      return true;
    }
    if (h.info == indefinite) {
      // Indefinite lengths exist for strings, arrays and maps; in major 7 it is the break.
      if (h.major == cbor_major::unsigned_integer || h.major == cbor_major::negative_integer ||
          h.major == cbor_major::tag) {
        return fail(cbor_errc::bad_additional_info, h.start);
      }
      h.indef = true;
      return true;
    }
    if (h.info > 27) return fail(cbor_errc::bad_additional_info, h.start);
    const std::size_t n = std::size_t{1} << (h.info - 24);  // 1, 2, 4 or 8 bytes
    if (left() < n) return fail(cbor_errc::truncated, h.start);
    for (std::size_t i = 0; i < n; ++i) {
      h.arg = (h.arg << 8) | static_cast<std::uint8_t>(in_[pos_++]);
    }
    return true;
  }

  bool at_break() const { return left() > 0 && in_[pos_] == break_byte; }

  // Appends a definite string's bytes (whose head was just read) to `out`, or only checks them
  // and moves past when `out` is null (a string the guide skips).
  bool take_bytes(const head& h, std::string* out) {
    if (h.arg > left()) return fail(cbor_errc::truncated, h.start);
    const auto n = static_cast<std::size_t>(h.arg);
    const std::string_view chunk = in_.substr(pos_, n);
    if (h.major == cbor_major::text && !simdjson::validate_utf8(chunk.data(), chunk.size())) {
      return fail(cbor_errc::invalid_utf8, h.start);
    }
    if (out) out->append(chunk);
    pos_ += n;
    return true;
  }

  // Moves past one whole item without building anything (what the guide does not ask for).
  // The document must still be well-formed; tag contents are not interpreted.
  bool skip(std::size_t depth) {
    head h;
    if (!read_head(h)) return false;
    switch (h.major) {
      case cbor_major::unsigned_integer:
      case cbor_major::negative_integer:
        return true;
      case cbor_major::bytes:
      case cbor_major::text:
        return string_body(h, nullptr);
      case cbor_major::array:
      case cbor_major::map: {
        if (depth + 1 > max_cbor_depth) return fail(cbor_errc::too_deep, h.start);
        const bool is_map = h.major == cbor_major::map;
        auto element = [&] {
          if (is_map) {
            if (left() == 0) return fail(cbor_errc::truncated, pos_);
            if ((static_cast<std::uint8_t>(in_[pos_]) >> 5) != cbor_major::text) {
              return fail(cbor_errc::non_string_map_key, pos_);
            }
            head key;
            if (!read_head(key) || !string_body(key, nullptr)) return false;
          }
          return skip(depth + 1);
        };
        if (!h.indef) {
          if (h.arg > (is_map ? left() / 2 : left())) return fail(cbor_errc::truncated, h.start);
          for (std::uint64_t i = 0; i < h.arg; ++i) {
            if (!element()) return false;
          }
          return true;
        }
        for (;;) {
          if (left() == 0) return fail(cbor_errc::truncated, pos_);
          if (at_break()) {
            ++pos_;
            return true;
          }
          if (!element()) return false;
        }
      }
      case cbor_major::tag:
        if (depth + 1 > max_cbor_depth) return fail(cbor_errc::too_deep, h.start);
        return skip(depth + 1);
      default: {
        value ignored;
        return simple(h, ignored);
      }
    }
  }

  bool string_body(const head& h, std::string* out) {
    if (!h.indef) return take_bytes(h, out);
    for (;;) {
      if (left() == 0) return fail(cbor_errc::truncated, pos_);
      if (at_break()) {
        ++pos_;
        return true;
      }
      head chunk;
      if (!read_head(chunk)) return false;
      if (chunk.major != h.major || chunk.indef) return fail(cbor_errc::bad_chunk, chunk.start);
      if (!take_bytes(chunk, out)) return false;
    }
  }

  bool item(value& out, std::size_t depth, const decode_guide& guide) {
    head h;
    if (!read_head(h)) return false;
    switch (h.major) {
      case cbor_major::unsigned_integer:
        out = h.arg <= max_int64 ? value::integer(static_cast<std::int64_t>(h.arg))
                                 : value::number(static_cast<double>(h.arg));
        return true;
      case cbor_major::negative_integer:  // -1 - arg
        out = h.arg <= max_int64 ? value::integer(-1 - static_cast<std::int64_t>(h.arg))
                                 : value::number(-1.0 - static_cast<double>(h.arg));
        return true;
      case cbor_major::bytes:
      case cbor_major::text: {
        std::string text;
        if (!string_body(h, &text)) return false;
        out = h.major == cbor_major::bytes ? value::blob(std::move(text))
                                           : value::string(std::move(text));
        return true;
      }
      case cbor_major::array:
        return array(h, out, depth, guide);
      case cbor_major::map:
        return map(h, out, depth, guide);
      case cbor_major::tag:
        return tag(h, out, depth, guide);
      default:
        return simple(h, out);
    }
  }

  // A list: the elements the guide keeps are built, the rest skipped (decode_guide.h).
  bool array(const head& h, value& out, std::size_t depth, const decode_guide& guide) {
    if (depth + 1 > max_cbor_depth) return fail(cbor_errc::too_deep, h.start);
    const auto sub = guide.item();
    const std::size_t keep = sub ? guide.max_items() : 0;
    std::vector<value> items;
    auto element = [&] {
      if (items.size() >= keep) return skip(depth + 1);
      items.emplace_back();
      return item(items.back(), depth + 1, *sub);
    };
    if (!h.indef) {
      // Every element takes at least one byte: a count beyond the bytes left cannot be.
      if (h.arg > left()) return fail(cbor_errc::truncated, h.start);
      items.reserve(std::min({static_cast<std::size_t>(h.arg), max_reserve, keep}));
      for (std::uint64_t i = 0; i < h.arg; ++i) {
        if (!element()) return false;
      }
    } else {
      for (;;) {
        if (left() == 0) return fail(cbor_errc::truncated, pos_);
        if (at_break()) {
          ++pos_;
          break;
        }
        if (!element()) return false;
      }
    }
    out = value::array(std::move(items));
    return true;
  }

  bool map_member(std::vector<value::member>& members, std::size_t depth,
                  const decode_guide& guide) {
    if (left() == 0) return fail(cbor_errc::truncated, pos_);
    if ((static_cast<std::uint8_t>(in_[pos_]) >> 5) != cbor_major::text) {
      return fail(cbor_errc::non_string_map_key, pos_);
    }
    head key;
    if (!read_head(key)) return false;
    // Key and value apart, not a default-constructed value::member: clang 14 with libstdc++ 12
    // (the fuzz build) takes value as not default-constructible inside pair's constructor.
    std::string name;
    if (!string_body(key, &name)) return false;
    const auto sub = guide.member(name);
    const bool keep =
        sub && members.size() < guide.max_items() &&
        !(guide.skips_repeats() && std::any_of(members.begin(), members.end(),
                                               [&](const auto& m) { return m.first == name; }));
    if (!keep) return skip(depth + 1);
    value v;
    if (!item(v, depth + 1, *sub)) return false;
    members.emplace_back(std::move(name), std::move(v));
    return true;
  }

  bool map(const head& h, value& out, std::size_t depth, const decode_guide& guide) {
    if (depth + 1 > max_cbor_depth) return fail(cbor_errc::too_deep, h.start);
    std::vector<value::member> members;
    if (!h.indef) {
      // A member takes at least two bytes.
      if (h.arg > left() / 2) return fail(cbor_errc::truncated, h.start);
      members.reserve(std::min({static_cast<std::size_t>(h.arg), max_reserve, guide.max_items()}));
      for (std::uint64_t i = 0; i < h.arg; ++i) {
        if (!map_member(members, depth, guide)) return false;
      }
    } else {
      for (;;) {
        if (left() == 0) return fail(cbor_errc::truncated, pos_);
        if (at_break()) {
          ++pos_;
          break;
        }
        if (!map_member(members, depth, guide)) return false;
      }
    }
    out = value::object(std::move(members));
    return true;
  }

  bool tag(const head& h, value& out, std::size_t depth, const decode_guide& guide) {
    if (depth + 1 > max_cbor_depth) return fail(cbor_errc::too_deep, h.start);
    value content;
    if (!item(content, depth + 1, guide)) return false;
    switch (h.arg) {
      case 1: {  // epoch time, in AWS's milliseconds (see the header)
        if (content.type() == value::kind::integer) {
          out = value::timestamp(content.as_integer());
          return true;
        }
        const double ms = content.as_number();
        // 2^63 as a double: the first value llround cannot represent.
        if (content.type() != value::kind::number || !std::isfinite(ms) || ms >= 0x1p63 ||
            ms < -0x1p63) {
          return fail(cbor_errc::bad_timestamp, h.start);
        }
        out = value::timestamp(std::llround(ms));
        return true;
      }
      case 2:    // unsigned bignum
      case 3: {  // negative bignum: -1 - n
        if (content.type() != value::kind::blob) return fail(cbor_errc::bad_bignum, h.start);
        std::string_view digits = content.as_string();
        while (!digits.empty() && digits.front() == '\0') digits.remove_prefix(1);
        const bool negative = h.arg == 3;
        if (digits.size() <= 8) {
          std::uint64_t n = 0;
          for (char c : digits) n = (n << 8) | static_cast<std::uint8_t>(c);
          if (n <= max_int64) {
            const auto i = static_cast<std::int64_t>(n);
            out = value::integer(negative ? -1 - i : i);
          } else {
            const double d = static_cast<double>(n);
            out = value::number(negative ? -1.0 - d : d);
          }
          return true;
        }
        double d = 0;
        for (char c : digits) d = d * 256 + static_cast<std::uint8_t>(c);
        out = value::number(negative ? -1.0 - d : d);
        return true;
      }
      default:  // a tag this codec has no use for: its content stands for itself
        out = std::move(content);
        return true;
    }
  }

  bool simple(const head& h, value& out) {
    if (h.indef) return fail(cbor_errc::unexpected_break, h.start);
    switch (h.info) {
      case 20:
        out = value::boolean(false);
        return true;
      case 21:
        out = value::boolean(true);
        return true;
      case 22:  // null
      case 23:  // undefined
        out = value();
        return true;
      case 25:
        out = value::number(half_to_double(static_cast<std::uint16_t>(h.arg)));
        return true;
      case 26: {
        const auto bits = static_cast<std::uint32_t>(h.arg);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        out = value::number(f);
        return true;
      }
      case 27: {
        double d;
        std::memcpy(&d, &h.arg, sizeof d);
        out = value::number(d);
        return true;
      }
      default:  // 0..19 unassigned, 24 (one-byte simple values: none assigned or usable)
        return fail(cbor_errc::bad_simple_value, h.start);
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  cbor_error error_;
};

// The head of an item with its argument in the shortest form.
void put_head(std::string& out, std::uint8_t major, std::uint64_t arg) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  auto be = [&out](std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  if (arg < 24) {
    out.push_back(static_cast<char>(m | arg));
  } else if (arg <= 0xff) {
    out.push_back(static_cast<char>(m | 24));
    be(arg, 1);
  } else if (arg <= 0xffff) {
    out.push_back(static_cast<char>(m | 25));
    be(arg, 2);
  } else if (arg <= 0xffffffff) {
    out.push_back(static_cast<char>(m | 26));
    be(arg, 4);
  } else {
    out.push_back(static_cast<char>(m | 27));
    be(arg, 8);
  }
}

void put_integer(std::string& out, std::int64_t i) {
  if (i >= 0) {
    put_head(out, cbor_major::unsigned_integer, static_cast<std::uint64_t>(i));
  } else {
    put_head(out, cbor_major::negative_integer, ~static_cast<std::uint64_t>(i));  // -1 - i
  }
}

}  // namespace

std::string_view cbor_errc_name(cbor_errc e) {
  const errc_text* t = text_of(e);
  return t ? t->name : "unknown";
}

std::string cbor_error::message() const {
  const errc_text* t = text_of(code);
  return fmt::format("CBOR {} at byte {}: {}", cbor_errc_name(code), offset,
                     t ? t->description : std::string_view("malformed"));
}

std::optional<value> decode_cbor(std::string_view body, const decode_guide& guide,
                                 cbor_error* error) {
  return decoder(body).document(guide, error);
}

std::optional<value> decode_cbor(std::string_view body, cbor_error* error) {
  return decode_cbor(body, decode_guide::everything(), error);
}

void cbor_encoder::item() {
  if (!open_.empty() && !open_.back().map) ++open_.back().count;
}

void cbor_encoder::begin(std::uint8_t major, bool map) {
  item();
  open_.push_back({out_.size(), 0, map});
  out_.push_back(static_cast<char>(major << 5));
}

void cbor_encoder::end() {
  const open_container c = open_.back();
  open_.pop_back();
  const auto major = static_cast<std::uint8_t>(static_cast<std::uint8_t>(out_[c.header]) >> 5);
  if (c.count < 24) {
    out_[c.header] = static_cast<char>((major << 5) | c.count);
    return;
  }
  std::string wide;
  put_head(wide, major, c.count);
  out_.replace(c.header, 1, wide);  // moves the container's bytes once
}

void cbor_encoder::begin_object() {
  begin(cbor_major::map, true);
}
void cbor_encoder::end_object() {
  end();
}
void cbor_encoder::begin_array() {
  begin(cbor_major::array, false);
}
void cbor_encoder::end_array() {
  end();
}
void cbor_encoder::encoded(std::string_view value_bytes) {
  item();  // one data item, however many bytes
  out_.append(value_bytes);
}
std::unique_ptr<encoder> cbor_encoder::same_codec(std::string& out) const {
  return std::make_unique<cbor_encoder>(out);
}
void cbor_encoder::key(std::string_view name) {
  if (!open_.empty()) ++open_.back().count;
  put_head(out_, cbor_major::text, name.size());
  out_.append(name);
}
void cbor_encoder::string(std::string_view text) {
  item();
  put_head(out_, cbor_major::text, text.size());
  out_.append(text);
}
void cbor_encoder::blob(std::string_view bytes) {
  item();
  put_head(out_, cbor_major::bytes, bytes.size());
  out_.append(bytes);
}
void cbor_encoder::integer(std::int64_t i) {
  item();
  put_integer(out_, i);
}
void cbor_encoder::number(double d) {
  item();
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  out_.push_back(static_cast<char>(0xfb));
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>(bits >> (8 * i)));
}
void cbor_encoder::timestamp(std::int64_t epoch_ms) {
  item();
  put_head(out_, cbor_major::tag, 1);
  put_integer(out_, epoch_ms);
}
void cbor_encoder::boolean(bool b) {
  item();
  out_.push_back(static_cast<char>(b ? 0xf5 : 0xf4));
}
void cbor_encoder::null() {
  item();
  out_.push_back(static_cast<char>(0xf6));
}

void encode_cbor(const value& v, std::string& out) {
  cbor_encoder encoder(out);
  encode_value(v, encoder);
}

std::string encode_cbor(const value& v) {
  std::string out;
  encode_cbor(v, out);
  return out;
}

}  // namespace spate::api
