// sequence_number: formatting and parsing of the 56-digit layout described in the header.
#include "engine/sequence_number.h"

#include "common/assert.h"
#include "common/crc32c.h"

#include <array>
#include <cstring>

namespace spate::engine {
namespace {

constexpr std::string_view prefix = "49";
constexpr std::size_t tag_digits = 10;
constexpr std::size_t shard_digits = 10;
constexpr std::size_t position_digits = 20;
constexpr std::size_t check_digits = 14;
constexpr std::uint64_t check_modulus = 100'000'000'000'000ULL;  // 10^14
static_assert(prefix.size() + tag_digits + shard_digits + position_digits + check_digits ==
              sequence_number_digits);

// "00".."99": put_digits writes two digits per division (a PutRecords answer formats 500
// sequence numbers of 54 digits).
constexpr std::array<char, 200> digit_pairs = [] {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

// `value` (below 10^8) in exactly 8 digits: four independent pairs, in 32-bit arithmetic.
void put_8_digits(std::uint32_t value, char* out) {
  const std::uint32_t high = value / 10'000, low = value % 10'000;
  std::memcpy(out, &digit_pairs[2 * (high / 100)], 2);
  std::memcpy(out + 2, &digit_pairs[2 * (high % 100)], 2);
  std::memcpy(out + 4, &digit_pairs[2 * (low / 100)], 2);
  std::memcpy(out + 6, &digit_pairs[2 * (low % 100)], 2);
}

// `value` in exactly `width` digits, with leading zeros (digits above `width` are dropped).
// Eight digits at a time from the right: a GetRecords answer formats 10,000 sequence numbers,
// and one 64-bit division per pair made a chain that cost 8% of its CPU.
void put_digits(std::uint64_t value, std::size_t width, char* out) {
  std::size_t i = width;
  for (; i >= 8; i -= 8) {
    put_8_digits(static_cast<std::uint32_t>(value % 100'000'000), out + i - 8);
    value /= 100'000'000;
  }
  for (; i >= 2; i -= 2) {
    std::memcpy(out + i - 2, &digit_pairs[2 * (value % 100)], 2);
    value /= 100;
  }
  if (i == 1) out[0] = static_cast<char>('0' + value % 10);
}

std::optional<std::uint64_t> get_digits(std::string_view text) {
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// The position field as written: the record's position plus one, or 0 for the shard start.
std::uint64_t position_field(const sequence_fields& f) {
  SPATE_ASSERT(f.pos < UINT64_MAX, "a position beyond what a sequence number can carry");
  return f.shard_start ? 0 : f.pos + 1;
}

// The layout's version, mixed into the check: numbers of the first layout (which wrote the
// position itself, not position + 1) fail the check instead of meaning the record before.
constexpr std::uint64_t layout_version = 2;

// A 64-bit mix (splitmix64's finaliser) of the three fields and the layout version, reduced
// to 14 digits.
std::uint64_t check_value(const sequence_fields& f) {
  std::uint64_t x = position_field(f) ^ (static_cast<std::uint64_t>(f.stream_tag) << 32 | f.shard);
  x += 0x9e3779b97f4a7c15ULL * layout_version;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x % check_modulus;
}

}  // namespace

std::uint32_t stream_tag(std::string_view stream_name, std::int64_t created_ms) {
  std::array<char, 8> time_bytes;
  std::memcpy(time_bytes.data(), &created_ms, sizeof created_ms);
  std::uint32_t crc = crc32c::extend(0, stream_name.data(), stream_name.size());
  return crc32c::extend(crc, time_bytes.data(), time_bytes.size());
}

namespace {

constexpr std::size_t head_digits = prefix.size() + tag_digits + shard_digits;

void put_head(std::uint32_t stream_tag, metadata::shard_index shard, char* out) {
  std::memcpy(out, prefix.data(), prefix.size());
  put_digits(stream_tag, tag_digits, out + prefix.size());
  put_digits(shard, shard_digits, out + prefix.size() + tag_digits);
}

void put_tail(const sequence_fields& fields, char* out) {
  put_digits(position_field(fields), position_digits, out + head_digits);
  put_digits(check_value(fields), check_digits, out + head_digits + position_digits);
}

}  // namespace

void format_sequence_number(const sequence_fields& fields, char* out) {
  put_head(fields.stream_tag, fields.shard, out);
  put_tail(fields, out);
}

shard_sequence_formatter::shard_sequence_formatter(std::uint32_t stream_tag,
                                                   metadata::shard_index shard)
    : stream_tag_(stream_tag), shard_(shard) {
  static_assert(sizeof head_ == head_digits);
  put_head(stream_tag, shard, head_);
}

void shard_sequence_formatter::format(storage::position pos, char* out) const {
  std::memcpy(out, head_, sizeof head_);
  put_tail({.stream_tag = stream_tag_, .shard = shard_, .pos = pos}, out);
}

std::string format_sequence_number(const sequence_fields& fields) {
  std::string out(sequence_number_digits, '0');
  format_sequence_number(fields, out.data());
  return out;
}

std::string shard_start_sequence_number(std::uint32_t stream_tag, metadata::shard_index shard) {
  return format_sequence_number({.stream_tag = stream_tag, .shard = shard, .shard_start = true});
}

std::optional<sequence_fields> parse_sequence_number(std::string_view text) {
  if (text.size() != sequence_number_digits || !text.starts_with(prefix)) return std::nullopt;
  std::size_t at = prefix.size();
  auto field = [&](std::size_t width) {
    auto value = get_digits(text.substr(at, width));
    at += width;
    return value;
  };
  const auto tag = field(tag_digits);
  const auto shard = field(shard_digits);
  const auto pos = field(position_digits);
  const auto check = field(check_digits);
  if (!tag || !shard || !pos || !check || *tag > UINT32_MAX || *shard > UINT32_MAX) {
    return std::nullopt;
  }
  sequence_fields fields{.stream_tag = static_cast<std::uint32_t>(*tag),
                         .shard = static_cast<metadata::shard_index>(*shard),
                         .pos = *pos == 0 ? 0 : *pos - 1,
                         .shard_start = *pos == 0};
  if (check_value(fields) != *check) return std::nullopt;
  return fields;
}

}  // namespace spate::engine
