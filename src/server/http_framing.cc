// http_framing: raw header scans and the Transfer-Encoding / Content-Length rules.
#include "server/http_framing.h"

#include "common/ascii.h"

namespace spate::server {

std::size_t header_block_end(std::string_view bytes) {
  // Empty lines before the request line are skipped; the block ends at the first empty line
  // after a non-empty one.
  std::size_t start = 0;
  while (bytes.substr(start).starts_with("\r\n")) start += 2;
  const auto end = bytes.find("\r\n\r\n", start);
  return end == std::string_view::npos ? std::string_view::npos : end + 4;
}

bool has_obs_fold(std::string_view header_block) {
  // A line of the field section that begins with SP or HTAB: "\r\n " or "\r\n\t" anywhere
  // before the final blank line (the request line itself cannot start with either: Beast
  // refuses that as a bad method).
  for (std::size_t at = header_block.find("\r\n"); at != std::string_view::npos;
       at = header_block.find("\r\n", at + 2)) {
    if (at + 2 < header_block.size()) {
      const char next = header_block[at + 2];
      if (next == ' ' || next == '\t') return true;
    }
  }
  return false;
}

std::optional<std::string> framing_problem(const http::request_header<>& header) {
  std::size_t te_fields = 0, cl_fields = 0;
  std::string_view te;
  for (const auto& f : header) {
    if (f.name() == http::field::transfer_encoding) {
      ++te_fields;
      te = f.value();
    } else if (f.name() == http::field::content_length) {
      ++cl_fields;
    }
  }
  if (cl_fields > 1) return "Content-Length is given more than once.";
  if (te_fields == 0) return std::nullopt;
  if (cl_fields > 0) return "Transfer-Encoding and Content-Length are both given.";
  if (te_fields > 1) return "Transfer-Encoding is given more than once.";
  if (header.version() < 11) return "Transfer-Encoding is not allowed in an HTTP/1.0 request.";
  // Optional whitespace around the one coding is allowed; nothing else is.
  while (!te.empty() && (te.front() == ' ' || te.front() == '\t')) te.remove_prefix(1);
  while (!te.empty() && (te.back() == ' ' || te.back() == '\t')) te.remove_suffix(1);
  if (ascii::lowercase(te) != "chunked") {
    return "Transfer-Encoding '" + std::string(te) + "' is not supported; only chunked is.";
  }
  return std::nullopt;
}

}  // namespace spate::server
