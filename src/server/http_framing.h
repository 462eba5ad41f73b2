// http_framing: what makes an HTTP/1.1 request's end unambiguous, checked before a single
// body byte is read (RFC 9112 sections 5 and 6). A request that fails these checks is
// answered 400 and its connection closed: the server cannot know where the next request
// starts, and a guess that differs from a proxy's in front of it is request smuggling.
//
// Refused:
// - obs-fold (a header line that starts with a space or tab continues the previous one);
//   Beast would unfold it silently, so the raw header block is scanned;
// - Transfer-Encoding anywhere but in exactly the form "chunked" (one coding, on one line):
//   `gzip`, `identity`, `xchunked`, `chunked, identity`, `chunked, chunked`, TE on HTTP/1.0;
// - Transfer-Encoding together with Content-Length;
// - Content-Length given more than once, even with equal values.
// Beast itself refuses a field name with whitespace before the colon, a Content-Length that
// is not a decimal number, and conflicting Content-Length values; those parse errors are
// answered 400 and closed by the session too.
//
// Also here: `discard_body`, a Beast body type that reads a body and keeps none of it, for
// requests refused after their header (the body must still be read past for the connection
// to be reused, or for the client to see the answer).
#pragma once

#include "server/net.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::server {

// Where the header block in `bytes` ends (one past its blank line), or npos while incomplete.
// Leading empty lines before the request line are part of the block, as Beast skips them.
std::size_t header_block_end(std::string_view bytes);

// True if the header block has an obs-fold continuation line.
bool has_obs_fold(std::string_view header_block);

// Why the parsed header's body length is ambiguous, or nullopt when it is not.
std::optional<std::string> framing_problem(const http::request_header<>& header);

// A body that is read and dropped; its value counts the bytes.
struct discard_body {
  using value_type = std::uint64_t;

  static std::uint64_t size(value_type) { return 0; }

  struct reader {
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& dropped) : dropped_(dropped) {}

    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      const std::size_t n = net::buffer_size(buffers);
      dropped_ += n;
      return n;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& dropped_;
  };
};

}  // namespace spate::server
