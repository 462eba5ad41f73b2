// event_stream: encoding and decoding of the framing described in the header.
#include "common/event_stream.h"

#include <zlib.h>

namespace spate::event_stream {
namespace {

void put_be32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

std::uint32_t get_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

std::uint32_t get_be16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return std::uint32_t{u[0]} << 8 | u[1];
}

// The size of a value of `type` starting at `p` (with `left` bytes available), or nullopt.
std::optional<std::size_t> value_size(std::uint8_t type, const char* p, std::size_t left) {
  switch (type) {
    case 0:
    case 1:
      return 0;
    case 2:
      return 1;
    case 3:
      return 2;
    case 4:
      return 4;
    case 5:
    case 8:
      return 8;
    case 9:
      return 16;
    case 6:
    case 7:
      if (left < 2) return std::nullopt;
      return 2 + get_be16(p);
    default:
      return std::nullopt;
  }
}

// Appends the prelude and the headers of a message with a payload of `payload_size` bytes; the
// payload and the message CRC are the caller's to append, and `out` has room reserved for the
// `appended_next` bytes of them the caller appends to it.
void append_prelude_and_headers(std::string& out, string_headers headers, std::size_t payload_size,
                                std::size_t appended_next) {
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : headers) header_bytes += 1 + name.size() + 1 + 2 + value.size();
  const std::size_t total = prelude_size + header_bytes + payload_size + 4;
  const std::size_t start = out.size();
  out.reserve(start + prelude_size + header_bytes + appended_next);
  put_be32(out, static_cast<std::uint32_t>(total));
  put_be32(out, static_cast<std::uint32_t>(header_bytes));
  put_be32(out, crc32(std::string_view(out).substr(start, 8)));
  for (const auto& [name, value] : headers) {
    out.push_back(static_cast<char>(name.size()));
    out.append(name);
    out.push_back(7);
    out.push_back(static_cast<char>(value.size() >> 8));
    out.push_back(static_cast<char>(value.size()));
    out.append(value);
  }
}

std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

}  // namespace

std::uint32_t crc32(std::string_view bytes) {
  // zlib's works a word at a time: 0.56 us for a 3 KB event, against 6.6 us for Boost.CRC's
  // table, a byte at a time.
  return crc32_extend(0, bytes);
}

std::optional<std::string_view> message::get(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name == name && h.type == 7) return std::string_view(h.value);
  }
  return std::nullopt;
}

void append_message(std::string& out, string_headers headers, std::string_view payload) {
  const std::size_t start = out.size();
  append_prelude_and_headers(out, headers, payload.size(), payload.size() + 4);
  out.append(payload);
  put_be32(out, crc32(std::string_view(out).substr(start)));
}

void frame_around(std::string& head, std::string& tail, string_headers headers,
                  std::string_view payload_head, std::string_view shared, std::uint32_t shared_crc,
                  std::string_view payload_tail) {
  const std::size_t head_start = head.size();
  append_prelude_and_headers(head, headers,
                             payload_head.size() + shared.size() + payload_tail.size(),
                             payload_head.size());
  head.append(payload_head);
  std::uint32_t crc = crc32(std::string_view(head).substr(head_start));
  crc = static_cast<std::uint32_t>(
      ::crc32_combine(crc, shared_crc, static_cast<z_off_t>(shared.size())));
  crc = crc32_extend(crc, payload_tail);
  tail.reserve(tail.size() + payload_tail.size() + 4);
  tail.append(payload_tail);
  put_be32(tail, crc);
}

decoded decode(std::string_view in) {
  decoded result;
  if (in.size() < prelude_size) return result;
  const std::uint32_t total = get_be32(in.data());
  const std::uint32_t headers_size = get_be32(in.data() + 4);
  if (crc32(in.substr(0, 8)) != get_be32(in.data() + 8)) {
    result.error = decode_error::prelude_checksum;
    return result;
  }
  if (total < prelude_size + 4 || headers_size > total - prelude_size - 4 ||
      headers_size > max_headers_size ||
      total - prelude_size - 4 - headers_size > max_payload_size) {
    result.error = decode_error::bad_length;
    return result;
  }
  if (in.size() < total) return result;
  if (crc32(in.substr(0, total - 4)) != get_be32(in.data() + total - 4)) {
    result.error = decode_error::message_checksum;
    return result;
  }
  message msg;
  const char* p = in.data() + prelude_size;
  const char* end = p + headers_size;
  while (p < end) {
    const std::size_t name_size = static_cast<unsigned char>(*p++);
    if (static_cast<std::size_t>(end - p) < name_size + 1) {
      result.error = decode_error::bad_header;
      return result;
    }
    header h;
    h.name.assign(p, name_size);
    p += name_size;
    h.type = static_cast<std::uint8_t>(*p++);
    const auto size = value_size(h.type, p, static_cast<std::size_t>(end - p));
    if (!size || *size > static_cast<std::size_t>(end - p)) {
      result.error = decode_error::bad_header;
      return result;
    }
    const std::size_t skip = h.type == 6 || h.type == 7 ? 2 : 0;  // the length prefix
    h.value.assign(p + skip, *size - skip);
    p += *size;
    msg.headers.push_back(std::move(h));
  }
  msg.payload.assign(end, in.data() + total - 4);
  result.msg = std::move(msg);
  result.consumed = total;
  return result;
}

}  // namespace spate::event_stream
