// value: a decoded request or response document, independent of the wire codec.
//
// Actions read requests and build responses as `value`s; json_codec and cbor_codec turn bytes
// into values and back. Numbers keep whether they were integral, so validation can
// tell 5 from 5.5; `blob` holds raw bytes (a codec that has no byte strings, such as JSON,
// decodes base64 text into a blob only when an action asks for one). Objects keep member order.
//
// Thread safety: a plain value type.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate::api {

class value {
 public:
  enum class kind { null, boolean, integer, number, timestamp, string, blob, array, object };
  using member = std::pair<std::string, value>;

  value() = default;
  static value boolean(bool b);
  static value integer(std::int64_t i);
  static value number(double d);
  static value timestamp(std::int64_t epoch_ms);  // as_integer() gives the milliseconds
  static value string(std::string s);
  static value blob(std::string bytes);
  static value array(std::vector<value> items = {});
  static value object(std::vector<member> members = {});

  kind type() const { return kind_; }
  bool is_null() const { return kind_ == kind::null; }
  bool is_object() const { return kind_ == kind::object; }
  bool is_array() const { return kind_ == kind::array; }
  bool is_string() const { return kind_ == kind::string; }

  bool as_bool() const { return bool_; }
  std::int64_t as_integer() const { return integer_; }
  double as_number() const {
    return kind_ == kind::integer ? static_cast<double>(integer_) : number_;
  }
  const std::string& as_string() const { return text_; }  // string or blob bytes
  std::string& as_string() { return text_; }
  const std::vector<value>& items() const { return items_; }
  std::vector<value>& items() { return items_; }
  const std::vector<member>& members() const { return members_; }
  std::vector<member>& members() { return members_; }

  // Object access: the member named `name`, or nullptr.
  const value* find(std::string_view name) const;
  // Appends a member (objects) or an item (arrays) and returns *this for chaining.
  value& add(std::string name, value v);
  value& push(value v);

 private:
  kind kind_ = kind::null;
  bool bool_ = false;
  std::int64_t integer_ = 0;
  double number_ = 0;
  std::string text_;
  std::vector<value> items_;
  std::vector<member> members_;
};

}  // namespace spate::api
