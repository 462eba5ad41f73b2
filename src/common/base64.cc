// base64: encoder (plain: two characters per table lookup) and strict decoder, plain and AVX2.
#include "common/base64.h"

#include "common/assert.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace spate::base64 {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}
constexpr auto decode_table = make_decode_table();

// The two characters of every 12-bit value: the encoder writes two characters per lookup.
constexpr std::array<char, 2 * 4096> make_pair_table() {
  std::array<char, 2 * 4096> table{};
  for (int v = 0; v < 4096; ++v) {
    table[2 * v] = alphabet[v >> 6];
    table[2 * v + 1] = alphabet[v & 63];
  }
  return table;
}
constexpr auto pair_table = make_pair_table();

#if defined(__x86_64__)

// The vector decoder classes a character by its two nibbles. It is outside the alphabet when
// low_nibble_rows[low] & high_nibble_bits[high] is not zero: bit h of low_nibble_rows[l] says
// that character 16h + l is outside, for the rows h < 8 (ASCII); bytes from 0x80 up share row
// 0's bit, and row 0 (control characters) is outside for every low nibble.
constexpr std::array<std::uint8_t, 16> make_low_nibble_rows() {
  std::array<std::uint8_t, 16> rows{};
  for (int low = 0; low < 16; ++low) {
    for (int high = 0; high < 8; ++high) {
      if (decode_table[static_cast<std::size_t>(16 * high + low)] == invalid) {
        rows[static_cast<std::size_t>(low)] |= static_cast<std::uint8_t>(1u << high);
      }
    }
  }
  return rows;
}
constexpr auto low_nibble_rows = make_low_nibble_rows();
static_assert(std::all_of(low_nibble_rows.begin(), low_nibble_rows.end(),
                          [](std::uint8_t row) { return (row & 1) != 0; }),
              "row 0 must be outside the alphabet for every low nibble: bytes >= 0x80 use it");

constexpr std::array<std::uint8_t, 16> make_high_nibble_bits() {
  std::array<std::uint8_t, 16> bits{};
  for (int high = 0; high < 16; ++high) {
    bits[static_cast<std::size_t>(high)] = static_cast<std::uint8_t>(high < 8 ? 1u << high : 1u);
  }
  return bits;
}
constexpr auto high_nibble_bits = make_high_nibble_bits();

// What to add to a character of the alphabet to get its value, by its high nibble, with '/'
// moved to index 1 (it shares high nibble 2 with '+'): '/' + 16 = 63, '+' + 19 = 62,
// '0'..'9' + 4, 'A'..'Z' - 65, 'a'..'z' - 71.
constexpr std::array<std::int8_t, 16> value_offsets = {0,   16,  19,  4,   -65, -65, -71, -71,
                                                       0,   0,   0,   0,   0,   0,   0,   0};

__attribute__((target("avx2"))) __m256i both_lanes(const std::uint8_t* table16) {
  const __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table16));
  return _mm256_broadcastsi128_si256(half);
}

// Decodes the first n / 32 blocks of 32 characters of `in` (no padding among them) to 24 bytes
// each at `out`. Returns the characters consumed; `valid` is false if any of them is outside
// the alphabet (the bytes written are then meaningless).
__attribute__((target("avx2"))) std::size_t decode_blocks(const unsigned char* in, std::size_t n,
                                                         char* out, bool& valid) {
  const __m256i rows = both_lanes(low_nibble_rows.data());
  const __m256i row_bits = both_lanes(high_nibble_bits.data());
  const __m256i offsets = both_lanes(reinterpret_cast<const std::uint8_t*>(value_offsets.data()));
  const __m256i low_four = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  // Two 6-bit values a, b to a * 64 + b in each 16-bit half; two of those to 24 bits.
  const __m256i pair_weights = _mm256_set1_epi32(0x01400140);
  const __m256i quad_weights = _mm256_set1_epi32(0x00011000);
  // Each 32-bit lane holds its 3 bytes little-endian: put them in order, 12 per 128-bit half,
  // then the two halves' 12 bytes side by side.
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                         2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  __m256i outside = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32, out += 24) {
    const __m256i chars = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi32(chars, 4), low_four);
    const __m256i low = _mm256_and_si256(chars, low_four);
    outside = _mm256_or_si256(outside, _mm256_and_si256(_mm256_shuffle_epi8(rows, low),
                                                        _mm256_shuffle_epi8(row_bits, high)));
    // cmpeq gives -1 for '/': its offset is looked up at index 1.
    const __m256i offset =
        _mm256_shuffle_epi8(offsets, _mm256_add_epi8(high, _mm256_cmpeq_epi8(chars, slash)));
    const __m256i values = _mm256_add_epi8(chars, offset);
    const __m256i words =
        _mm256_madd_epi16(_mm256_maddubs_epi16(values, pair_weights), quad_weights);
    const __m256i bytes =
        _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, order), join);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(bytes));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 16), _mm256_extracti128_si256(bytes, 1));
  }
  valid = _mm256_testz_si256(outside, outside) != 0;
  return i;
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

#endif  // __x86_64__

// Below this many characters the vector decoder has no whole block to take.
constexpr std::size_t vector_minimum = 32;

bool decode_append_with(std::string_view text, std::string& out, bool vector) {
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t start = out.size();
  out.resize(start + text.size() / 4 * 3 - padding);
  char* o = out.data() + start;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t full = text.size() - (padding ? 4 : 0);
  std::size_t i = 0;
#if defined(__x86_64__)
  if (vector) {
    bool valid = true;
    i = decode_blocks(in, full, o, valid);
    if (!valid) return false;
    o += i / 4 * 3;
  }
#else
  (void)vector;
#endif
  for (; i < full; i += 4) {
    const std::uint8_t a = decode_table[in[i]], b = decode_table[in[i + 1]],
                       c = decode_table[in[i + 2]], d = decode_table[in[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>(v >> 8);
    *o++ = static_cast<char>(v);
  }
  if (padding) {
    const std::size_t i = full;
    const std::uint8_t a = decode_table[in[i]], b = decode_table[in[i + 1]];
    const std::uint8_t c = padding == 1 ? decode_table[in[i + 2]] : 0;
    if ((a | b | c) & 0x80) return false;
    const std::uint32_t v = a << 18 | b << 12 | c << 6;
    *o++ = static_cast<char>(v >> 16);
    if (padding == 1) {
      *o++ = static_cast<char>(v >> 8);
      if (v & 0xff) return false;  // leftover bits must be zero
    } else if (v & 0xffff) {
      return false;
    }
  }
  return true;
}

// Encodes bytes[i..] at `o`, three bytes at a time; returns the end.
char* encode_plain_from(std::string_view bytes, std::size_t i, char* o) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3, o += 4) {
    const std::uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    std::memcpy(o, &pair_table[2 * (v >> 12)], 2);
    std::memcpy(o + 2, &pair_table[2 * (v & 0xfff)], 2);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = in[i] << 16;
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (rest == 2) {
    const std::uint32_t v = in[i] << 16 | in[i + 1] << 8;
    *o++ = alphabet[v >> 18];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = '=';
  }
  return o;
}

#if defined(__x86_64__)

// Encodes 24 bytes into 32 characters at a time, as long as 28 bytes can be read (each half of
// the register loads 16 bytes and uses 12); returns how many bytes it took. Each 32-bit word
// gets one triple a b c as the bytes b a c b, which puts the four 6-bit fields where two
// 16-bit multiplies (high half and low half) can move each into a byte of its own; a table
// lookup by range then turns the values 0..63 into the alphabet.
__attribute__((target("avx2"))) std::size_t encode_blocks(const unsigned char* in, std::size_t n,
                                                           char* out) {
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  const __m256i first_and_third = _mm256_set1_epi32(0x0fc0fc00);
  const __m256i down = _mm256_set1_epi32(0x04000040);  // mulhi: >> 10 and >> 6
  const __m256i second_and_fourth = _mm256_set1_epi32(0x003f03f0);
  const __m256i up = _mm256_set1_epi32(0x01000010);  // mullo: << 4 and << 8
  // What to add to a value to get its character, by range: 0..25 'A', 26..51 'a' - 26,
  // 52..61 '0' - 52, 62 '+' - 62, 63 '/' - 63. The range's index: 13 below 26, 0 up to 51,
  // else value - 51.
  const __m256i offsets = _mm256_setr_epi8(
      'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
      '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0,  //
      'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
      '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
  const __m256i fifty_one = _mm256_set1_epi8(51);
  const __m256i twenty_six = _mm256_set1_epi8(26);
  const __m256i thirteen = _mm256_set1_epi8(13);
  std::size_t i = 0;
  for (; i + 28 <= n; i += 24, out += 32) {
    const __m256i bytes = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 12)), 1);
    const __m256i words = _mm256_shuffle_epi8(bytes, spread);
    const __m256i values =
        _mm256_or_si256(_mm256_mulhi_epu16(_mm256_and_si256(words, first_and_third), down),
                        _mm256_mullo_epi16(_mm256_and_si256(words, second_and_fourth), up));
    const __m256i range =
        _mm256_or_si256(_mm256_subs_epu8(values, fifty_one),
                        _mm256_and_si256(_mm256_cmpgt_epi8(twenty_six, values), thirteen));
    const __m256i chars = _mm256_add_epi8(values, _mm256_shuffle_epi8(offsets, range));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), chars);
  }
  return i;
}

#endif  // __x86_64__

// Below this many bytes the vector encoder has no whole block to take.
constexpr std::size_t vector_encode_minimum = 28;

// The encoder: whole blocks with AVX2 first when `vector`, the rest three bytes at a time.
char* encode_with(std::string_view bytes, char* out, bool vector) {
  std::size_t done = 0;
#if defined(__x86_64__)
  if (vector) {
    done = encode_blocks(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  }
#else
  (void)vector;
#endif
  return encode_plain_from(bytes, done, out + done / 3 * 4);
}

}  // namespace

bool has_vector_codec() {
#if defined(__x86_64__)
  return cpu_has_avx2();
#else
  return false;
#endif
}

char* encode_to_plain(std::string_view bytes, char* out) {
  return encode_with(bytes, out, false);
}

char* encode_to_vector(std::string_view bytes, char* out) {
  SPATE_ASSERT(has_vector_codec(), "the vector base64 encoder needs AVX2");
  return encode_with(bytes, out, true);
}

char* encode_to(std::string_view bytes, char* out) {
  return encode_with(bytes, out, bytes.size() >= vector_encode_minimum && has_vector_codec());
}

void encode_append(std::string_view bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + encoded_size(bytes.size()));
  encode_to(bytes, out.data() + start);
}

std::string encode(std::string_view bytes) {
  std::string out;
  encode_append(bytes, out);
  return out;
}

bool decode_append_plain(std::string_view text, std::string& out) {
  return decode_append_with(text, out, false);
}

bool decode_append_vector(std::string_view text, std::string& out) {
  SPATE_ASSERT(has_vector_codec(), "the vector base64 decoder needs AVX2");
  return decode_append_with(text, out, true);
}

bool decode_append(std::string_view text, std::string& out) {
  return decode_append_with(text, out, text.size() >= vector_minimum && has_vector_codec());
}

std::optional<std::string> decode(std::string_view text) {
  std::string out;
  if (!decode_append(text, out)) return std::nullopt;
  return out;
}

}  // namespace spate::base64
