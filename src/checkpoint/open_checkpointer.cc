// open_checkpointer and group_key: choosing a checkpointer backend from a URI, and naming the
// group a consumer's entries live under.
//
// Accepted URIs:
//   memory:                    in-process store (make_memory_checkpointer)
//   sqlite:PATH                SQLite file; "sqlite:///abs/file.db" and "sqlite:rel.db" both work
//   PATH                       a bare path (no "scheme://") also means a SQLite file
//   redis://HOST[:PORT][/DB]   Redis server; PORT defaults to 6379 and DB to 0; an IPv6 host
//                              goes in brackets ("redis://[::1]:6379"). Credentials and query
//                              parameters are not supported.
// Anything else fails with error_code::invalid_option and says what was expected.
#include <spate/client/checkpointer.h>

#include <charconv>
#include <string>
#include <string_view>

namespace spate::client {
namespace {

constexpr int default_redis_port = 6379;

error bad_uri(std::string_view uri, std::string_view why) {
  return error{error_code::invalid_option,
               "checkpointer URI '" + std::string(uri) + "': " + std::string(why) +
                   " (expected memory:, sqlite:PATH or redis://HOST:PORT[/DB])"};
}

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

outcome<std::shared_ptr<checkpointer>> open_redis(std::string_view uri, std::string_view rest) {
  if (rest.find('@') != std::string_view::npos) {
    return bad_uri(uri, "credentials in redis URIs are not supported");
  }
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos) {
    return bad_uri(uri, "query parameters are not supported");
  }

  int db = 0;
  const std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view db_text = rest.substr(slash + 1);
    if (!db_text.empty() && (!parse_int(db_text, db) || db < 0)) {
      return bad_uri(uri, "the database '" + std::string(db_text) + "' is not a number >= 0");
    }
    rest = rest.substr(0, slash);
  }

  std::string_view host;
  std::string_view port_text;
  if (rest.starts_with('[')) {  // [IPv6]:port
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad_uri(uri, "unclosed '[' in the host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return bad_uri(uri, "expected ':PORT' after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return bad_uri(uri, "empty port");
    }
  } else {
    const std::size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return bad_uri(uri, "empty port");
    }
  }
  if (host.empty()) return bad_uri(uri, "missing host");

  int port = default_redis_port;
  if (!port_text.empty() && (!parse_int(port_text, port) || port <= 0 || port > 65535)) {
    return bad_uri(uri, "the port '" + std::string(port_text) + "' is not in 1..65535");
  }
  return make_redis_checkpointer(std::string(host), port, db);
}

}  // namespace

outcome<std::shared_ptr<checkpointer>> open_checkpointer(const std::string& uri, store_open mode) {
  const std::string_view text = uri;
  if (text.empty()) return bad_uri(uri, "empty");

  if (text.starts_with("memory:")) {
    if (text != "memory:") return bad_uri(uri, "memory: takes nothing after the colon");
    return make_memory_checkpointer();
  }

  if (text.starts_with("sqlite:")) {
    std::string_view path = text.substr(std::string_view("sqlite:").size());
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs/path
    if (path.empty()) return bad_uri(uri, "missing the SQLite file path");
    return make_sqlite_checkpointer(std::string(path), mode);
  }

  if (text.starts_with("redis:")) {
    if (!text.starts_with("redis://")) return bad_uri(uri, "redis URIs start with redis://");
    return open_redis(uri, text.substr(std::string_view("redis://").size()));
  }

  if (const std::size_t scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    return bad_uri(uri, "unknown scheme '" + std::string(text.substr(0, scheme_end)) + "'");
  }
  return make_sqlite_checkpointer(uri, mode);  // a bare path
}

// The group is "APPLICATION/STREAM": workers of one application reading one stream share its
// entries, and the same application reading two streams keeps them apart. Shown as is by the
// CLI and visible in the stores (the grp column, the spate:{GROUP}: Redis key prefix).
std::string group_key(const std::string& application, const std::string& stream_name) {
  return application + "/" + stream_name;
}

}  // namespace spate::client
