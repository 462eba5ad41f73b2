// credentials: parsing of the --credentials file.
#include "server/credentials.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace spate::server {
namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::variant<credential_store, std::string> credential_store::parse(std::string_view text) {
  credential_store store;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto parts = fields(line);
    if (parts.empty() || parts.front().front() == '#') continue;
    if (parts.size() != 2) {
      return "line " + std::to_string(number) + ": expected ACCESS_KEY_ID SECRET_ACCESS_KEY (" +
             std::to_string(parts.size()) + " fields)";
    }
    if (!store.secrets_.emplace(std::string(parts[0]), std::string(parts[1])).second) {
      return "line " + std::to_string(number) + ": access key id " + std::string(parts[0]) +
             " appears twice";
    }
  }
  if (store.secrets_.empty()) return std::string("no access key in it");
  return store;
}

std::variant<credential_store, std::string> credential_store::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read credentials file " + path + ": " + std::strerror(errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return "cannot read credentials file " + path;
  auto parsed = parse(text.str());
  if (auto* message = std::get_if<std::string>(&parsed)) {
    return "credentials file " + path + ": " + *message;
  }
  return parsed;
}

std::optional<std::string_view> credential_store::secret(std::string_view access_key_id) const {
  const auto it = secrets_.find(std::string(access_key_id));
  if (it == secrets_.end()) return std::nullopt;
  return std::string_view(it->second);
}

}  // namespace spate::server
