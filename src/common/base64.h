// base64: the standard alphabet with padding (RFC 4648 section 4), as Kinesis carries record
// data and as shard iterators are spelled. Decoding is strict: padding is required, and
// characters outside the alphabet or bits left over in the last character are errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace spate::base64 {

constexpr std::size_t encoded_size(std::size_t n) {
  return (n + 2) / 3 * 4;
}

// The bytes `text` decodes to, from its length and padding alone; 0 when its length is not a
// multiple of 4 (then it does not decode at all).
constexpr std::size_t decoded_size(std::string_view text) {
  if (text.size() % 4 != 0) return 0;
  std::size_t n = text.size() / 4 * 3;
  if (!text.empty() && text.back() == '=') n -= text[text.size() - 2] == '=' ? 2 : 1;
  return n;
}

// Writes the encoding of `bytes` at `out`, which has room for encoded_size(bytes.size()); returns
// the end of what was written. From 28 bytes up, 24 bytes at a time with AVX2 when the CPU has
// it (the same check as the decoder's); the characters are the plain encoder's, byte for byte
// (base64_test.cc compares the two on every length up to 600, fuzz/base64_decode.cc on any
// input).
char* encode_to(std::string_view bytes, char* out);
// Appends the encoding of `bytes` to `out`.
void encode_append(std::string_view bytes, std::string& out);
std::string encode(std::string_view bytes);

// Appends the decoded bytes to `out`; false (with `out` unspecified) if `text` is not base64.
// Long text is decoded 32 characters at a time with AVX2 when the CPU has it (checked once, at
// run time); the result is the same as the plain decoder's, byte for byte and in what it
// refuses (base64_test.cc checks every byte value and random text, fuzz/base64_decode.cc
// searches for a difference).
bool decode_append(std::string_view text, std::string& out);
std::optional<std::string> decode(std::string_view text);

// The two encoders and the two decoders apart, for the tests, the fuzz target and the benchmark
// that compare them: the plain ones, three bytes (four characters) at a time, and the vector
// ones, which may be called only when has_vector_codec() (this build and this CPU have AVX2).
char* encode_to_plain(std::string_view bytes, char* out);
char* encode_to_vector(std::string_view bytes, char* out);
bool decode_append_plain(std::string_view text, std::string& out);
bool has_vector_codec();
bool decode_append_vector(std::string_view text, std::string& out);

}  // namespace spate::base64
