// http_request_input: the input format of the fuzz targets that take one HTTP request
// (sigv4_request, dashboard_request), parsed into a Beast request:
//   METHOD TARGET            (a line without a space is a POST's target)
//   Name: value              (any number; names of token characters, as the HTTP/1.1 and
//                             HTTP/2 front ends admit; other lines are skipped)
//   <empty line>
//   body                     (the rest)
// with "\r\n" or "\n" line ends. Inputs that are no request give nullopt.
#pragma once

#include <boost/beast/http.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace spate::fuzz {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// The next line of `in` (without its "\n" or "\r\n"), or nullopt at the end.
inline std::optional<std::string_view> next_line(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  const auto end = in.find('\n');
  std::string_view line = in.substr(0, end);
  in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

inline bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

inline bool is_field_value(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

inline std::optional<http_request> parse_request(std::string_view in) {
  const auto first = next_line(in);
  if (!first) return std::nullopt;
  std::string_view method = "POST", target = *first;
  if (const auto space = first->find(' '); space != std::string_view::npos) {
    method = first->substr(0, space);
    target = first->substr(space + 1);
  }
  if (!is_token(method) || target.empty() || !is_field_value(target)) return std::nullopt;
  http_request req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  while (auto line = next_line(in)) {
    if (line->empty()) break;
    const auto colon = line->find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line->substr(0, colon);
    std::string_view value = line->substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    if (!is_token(name) || !is_field_value(value)) continue;
    req.insert(name, value);
  }
  req.body() = std::string(in);
  return req;
}

}  // namespace spate::fuzz
