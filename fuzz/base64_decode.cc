// base64_decode: the AVX2 decoder against the plain one (common/base64.h) on any text, and the
// AVX2 encoder against the plain one on the same input taken as bytes.
//
// Input: the text, as a PutRecords entry's Data would carry it; for the encoders, record data.
// Properties: both decoders accept the same texts and give the same bytes; what they accept
// encodes back to the very same text (the decoder is strict: padding required, no leftover
// bits, nothing outside the alphabet); what decode_append, which picks a decoder by length
// and CPU, answers is one of them. Both encoders write the same characters, exactly
// encoded_size() of them.
#include "common/base64.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace base64 = spate::base64;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "base64_decode: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string plain = "kept";  // decoders append: what was there before must stay
  const bool plain_ok = base64::decode_append_plain(text, plain);
  std::string chosen = "kept";
  if (base64::decode_append(text, chosen) != plain_ok) fail("decode_append and plain disagree");
  if (plain_ok && chosen != plain) fail("decode_append and plain decode differently");
  if (base64::has_vector_codec()) {
    std::string vector = "kept";
    if (base64::decode_append_vector(text, vector) != plain_ok) fail("vector and plain disagree");
    if (plain_ok && vector != plain) fail("vector and plain decode differently");
    std::string plain_text(base64::encoded_size(size), '?');
    std::string vector_text(plain_text.size(), '?');
    if (base64::encode_to_plain(text, plain_text.data()) != plain_text.data() + plain_text.size())
      fail("the plain encoder wrote other than encoded_size() characters");
    if (base64::encode_to_vector(text, vector_text.data()) !=
        vector_text.data() + vector_text.size())
      fail("the vector encoder wrote other than encoded_size() characters");
    if (vector_text != plain_text) fail("vector and plain encode differently");
  }
  if (plain_ok) {
    if (plain.compare(0, 4, "kept") != 0) fail("what was in the output before was changed");
    if (base64::encode(std::string_view(plain).substr(4)) != text) {
      fail("accepted text that does not encode back to itself");
    }
  }
  return 0;
}
