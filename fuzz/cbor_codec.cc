// cbor_codec: the CBOR 1.1 codec the Java SDK v2 and the KCL speak. The input is a request
// body for decode_cbor.
// Properties: nothing crashes or trips a sanitizer; a document that decodes survives a round
// trip: encode_cbor of the value decodes again to an equal value (NaN equal to NaN, +0 and -0
// told apart), and encoding that value again gives the same bytes.
#include "api/cbor_codec.h"

#include "api/actions/actions.h"
#include "api/value.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using spate::api::value;

bool same_number(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool equal(const value& a, const value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case value::kind::null:
      return true;
    case value::kind::boolean:
      return a.as_bool() == b.as_bool();
    case value::kind::integer:
    case value::kind::timestamp:
      return a.as_integer() == b.as_integer();
    case value::kind::number:
      return same_number(a.as_number(), b.as_number());
    case value::kind::string:
    case value::kind::blob:
      return a.as_string() == b.as_string();
    case value::kind::array:
      if (a.items().size() != b.items().size()) return false;
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!equal(a.items()[i], b.items()[i])) return false;
      }
      return true;
    case value::kind::object:
      if (a.members().size() != b.members().size()) return false;
      for (std::size_t i = 0; i < a.members().size(); ++i) {
        if (a.members()[i].first != b.members()[i].first) return false;
        if (!equal(a.members()[i].second, b.members()[i].second)) return false;
      }
      return true;
  }
  return false;
}

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "cbor_codec: %s %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  spate::api::cbor_error error;
  auto decoded = spate::api::decode_cbor(body, &error);
  if (!decoded) {
    if (error.offset > size) fail("the error offset is past the input:", error.message());
    return 0;
  }
  // Decoding guided by a shape walks what it skips without building it, and must accept every
  // document the whole decoding accepts.
  for (const auto* a : spate::api::all_actions()) {
    if (!spate::api::decode_cbor(body, spate::api::decode_guide::object(*a->request), &error)) {
      fail("guided decoding refuses a document the whole decoding accepts:", error.message());
    }
  }
  const std::string encoded = spate::api::encode_cbor(*decoded);
  auto again = spate::api::decode_cbor(encoded, &error);
  if (!again) fail("encode_cbor wrote a document decode_cbor refuses:", error.message());
  if (!equal(*decoded, *again)) fail("a value changed across encode_cbor and decode_cbor");
  if (spate::api::encode_cbor(*again) != encoded) fail("encode_cbor is not stable");
  return 0;
}
