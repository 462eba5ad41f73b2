// json_decode: the JSON 1.1 request path short of the engine. The input is a request body:
// decode_json (whole, and guided by each shape: same documents accepted, same verdicts), then
// normalize and validate against the shapes of a few actions that between
// them use every member type and pattern, then encode_json of each normalized request.
// Properties: nothing crashes or trips a sanitizer; what encode_json writes decodes again, and
// re-encoding after a decode is a fixed point (valid JSON out, nothing drifts on each pass).
#include "api/actions/actions.h"
#include "api/json_codec.h"
#include "api/schema.h"
#include "api/value.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace spate::api;

// Shapes with blobs, timestamps, lists of structures, maps, enums, integers and every pattern.
const action* const shapes[] = {
    &actions::put_records,        &actions::put_record,         &actions::get_shard_iterator,
    &actions::create_stream,      &actions::get_records,        &actions::list_shards,
    &actions::add_tags_to_stream, &actions::split_shard,        &actions::subscribe_to_shard,
    &actions::tag_resource,       &actions::update_shard_count,
};

void fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "json_decode: %s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

// encode_json(v) must decode, and from its first encoding on, decoding and encoding again
// must give the same text. (Not the first encoding itself: the double -0.0 is written "-0",
// which reads back as the integer 0, as in any JSON reader.)
void check_encoding_is_stable(const value& v) {
  json_error error;
  auto once = decode_json(encode_json(v), &error);
  if (!once) fail("encode_json wrote text decode_json refuses", encode_json(v), error.message);
  const std::string text = encode_json(*once);
  auto twice = decode_json(text, &error);
  if (!twice) fail("encode_json wrote text decode_json refuses", text, error.message);
  const std::string text2 = encode_json(*twice);
  if (text2 != text) fail("encode_json is not stable across a decode", text, text2);
}

}  // namespace

// Objects keep the first of repeated members only, as guided decoding reads them.
void drop_repeats(value& v) {
  if (v.is_object()) {
    auto& members = v.members();
    for (std::size_t i = 0; i < members.size(); ++i) {
      for (std::size_t j = members.size(); j-- > i + 1;) {
        if (members[j].first == members[i].first) members.erase(members.begin() + j);
      }
    }
    for (auto& [name, m] : members) drop_repeats(m);
  } else if (v.is_array()) {
    for (auto& item : v.items()) drop_repeats(item);
  }
}

// What normalize and validate make of a request: 0 fine, 1 SerializationException,
// 2 ValidationException.
int verdict(value request, const shape& s) {
  if (!request.is_object()) return 1;
  drop_repeats(request);
  if (normalize(request, s)) return 1;
  return validate(request, s) ? 2 : 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto decoded = decode_json(body);
  // Decoding guided by a shape (what the server does) accepts the same documents and leads to
  // the same verdict as decoding everything (repeated members aside: the first is the one
  // read): skipping what the shape does not name must not change an answer.
  for (const action* a : shapes) {
    auto guided = decode_json(body, decode_guide::object(*a->request));
    if (guided.has_value() != decoded.has_value()) {
      fail("guided decoding accepts otherwise", std::string(body), std::string(a->name));
    }
    // (Which error can differ: past a list's limit the whole list is type-checked, the guided
    // one only to one past the limit; both are errors.)
    if (decoded && (verdict(*decoded, *a->request) == 0) != (verdict(*guided, *a->request) == 0)) {
      fail("guided decoding changes whether the request is accepted", std::string(body),
           std::string(a->name));
    }
  }
  if (!decoded) return 0;
  check_encoding_is_stable(*decoded);
  for (const action* a : shapes) {
    value request = *decoded;
    if (!request.is_object()) break;  // the dispatcher refuses these before any shape
    if (normalize(request, *a->request)) continue;
    (void)validate(request, *a->request);
    check_encoding_is_stable(request);
  }
  return 0;
}
