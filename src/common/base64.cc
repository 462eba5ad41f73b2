// base64: table-driven encoder (two characters per lookup) and strict decoder.
#include "common/base64.h"

#include <array>
#include <cstdint>
#include <cstring>

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

}  // namespace

void encode_append(std::string_view bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + encoded_size(bytes.size()));
  char* o = out.data() + start;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
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
}

std::string encode(std::string_view bytes) {
  std::string out;
  encode_append(bytes, out);
  return out;
}

bool decode_append(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t start = out.size();
  out.resize(start + text.size() / 4 * 3 - padding);
  char* o = out.data() + start;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t full = text.size() - (padding ? 4 : 0);
  for (std::size_t i = 0; i < full; i += 4) {
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

std::optional<std::string> decode(std::string_view text) {
  std::string out;
  if (!decode_append(text, out)) return std::nullopt;
  return out;
}

}  // namespace spate::base64
