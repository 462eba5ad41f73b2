// value: constructors and object access.
#include "api/value.h"

namespace spate::api {

value value::boolean(bool b) {
  value v;
  v.kind_ = kind::boolean;
  v.bool_ = b;
  return v;
}
value value::integer(std::int64_t i) {
  value v;
  v.kind_ = kind::integer;
  v.integer_ = i;
  return v;
}
value value::number(double d) {
  value v;
  v.kind_ = kind::number;
  v.number_ = d;
  return v;
}
value value::timestamp(std::int64_t epoch_ms) {
  value v;
  v.kind_ = kind::timestamp;
  v.integer_ = epoch_ms;
  return v;
}
value value::string(std::string s) {
  value v;
  v.kind_ = kind::string;
  v.text_ = std::move(s);
  return v;
}
value value::blob(std::string bytes) {
  value v;
  v.kind_ = kind::blob;
  v.text_ = std::move(bytes);
  return v;
}
value value::array(std::vector<value> items) {
  value v;
  v.kind_ = kind::array;
  v.items_ = std::move(items);
  return v;
}
value value::object(std::vector<member> members) {
  value v;
  v.kind_ = kind::object;
  v.members_ = std::move(members);
  return v;
}

const value* value::find(std::string_view name) const {
  for (const auto& [key, v] : members_) {
    if (key == name) return &v;
  }
  return nullptr;
}

value& value::add(std::string name, value v) {
  members_.emplace_back(std::move(name), std::move(v));
  return *this;
}

value& value::push(value v) {
  items_.push_back(std::move(v));
  return *this;
}

}  // namespace spate::api
