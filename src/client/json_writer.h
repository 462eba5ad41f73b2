// json_writer: builds the JSON 1.1 request bodies the client sends (commas, escaping and
// nesting handled here, once).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spate::client::detail {

class json_writer {
 public:
  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  // Starts a member of the current object; the value call follows.
  json_writer& key(std::string_view name);
  json_writer& string(std::string_view v);
  json_writer& number(std::int64_t v);
  json_writer& number(double v);
  json_writer& boolean(bool v);

  // key + value in one call; the empty-string form skips empty values (optional members).
  json_writer& member(std::string_view name, std::string_view v) { return key(name).string(v); }
  json_writer& optional_member(std::string_view name, std::string_view v) {
    return v.empty() ? *this : member(name, v);
  }
  json_writer& member(std::string_view name, std::int64_t v) { return key(name).number(v); }

  std::string take() { return std::move(out_); }

 private:
  json_writer& open(char c);
  json_writer& close(char c);
  void separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: no member written yet
  bool after_key_ = false;
};

}  // namespace spate::client::detail
