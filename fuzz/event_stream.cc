// event_stream: the application/vnd.amazon.eventstream decoder (common/event_stream.h) over a
// byte stream of messages, as a SubscribeToShard reader takes them one after another.
//
// Input: one flags byte, then the stream. Flag bit 0 makes the target write correct CRCs into
// every prelude and message whose length fits (so mutations reach the headers instead of
// stopping at a checksum).
// Properties, for each message decoded: it took no more bytes than there were, and at least a
// prelude and a CRC; one byte less of it is "incomplete", neither a message nor an error (a
// reader waiting for more bytes must not fail); and a message whose headers are all strings is
// written back byte for byte by append_message.
#include "common/event_stream.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace es = spate::event_stream;

std::uint32_t get_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

void put_be32(char* p, std::uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

// Writes the prelude CRC and the message CRC of each message in turn, while they fit.
void fix_checksums(std::string& s) {
  std::size_t at = 0;
  while (s.size() - at >= es::prelude_size) {
    char* p = s.data() + at;
    put_be32(p + 8, es::crc32(std::string_view(p, 8)));
    const std::uint32_t total = get_be32(p);
    if (total < es::prelude_size + 4 || total > s.size() - at) return;
    put_be32(p + total - 4, es::crc32(std::string_view(p, total - 4)));
    at += total;
  }
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "event_stream: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) fix_checksums(stream);

  std::string_view rest(stream);
  while (!rest.empty()) {
    const es::decoded d = es::decode(rest);
    if (!d.msg) {
      if (d.consumed != 0) fail("bytes consumed without a message");
      return 0;
    }
    if (d.error != es::decode_error::none) fail("a message and an error at once");
    if (d.consumed > rest.size() || d.consumed < es::prelude_size + 4) {
      fail("a message of impossible size");
    }
    const std::string_view bytes = rest.substr(0, d.consumed);

    const es::decoded partial = es::decode(bytes.substr(0, bytes.size() - 1));
    if (partial.msg || partial.error != es::decode_error::none || partial.consumed != 0) {
      fail("a message cut short by one byte is not merely incomplete");
    }

    bool strings_only = true;
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    for (const auto& h : d.msg->headers) {
      strings_only = strings_only && h.type == 7;
      headers.emplace_back(h.name, h.value);
    }
    if (strings_only) {
      std::string again;
      es::append_message(again, headers, d.msg->payload);
      if (again != bytes) fail("append_message does not write the decoded message back");
    }
    rest.remove_prefix(d.consumed);
  }
  return 0;
}
