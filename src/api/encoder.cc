// encoder: writing a value tree through any codec's encoder.
#include "api/encoder.h"

namespace spate::api {

void encode_value(const value& v, encoder& out) {
  switch (v.type()) {
    case value::kind::null:
      out.null();
      break;
    case value::kind::boolean:
      out.boolean(v.as_bool());
      break;
    case value::kind::integer:
      out.integer(v.as_integer());
      break;
    case value::kind::number:
      out.number(v.as_number());
      break;
    case value::kind::timestamp:
      out.timestamp(v.as_integer());
      break;
    case value::kind::string:
      out.string(v.as_string());
      break;
    case value::kind::blob:
      out.blob(v.as_string());
      break;
    case value::kind::array:
      out.begin_array();
      for (const auto& item : v.items()) encode_value(item, out);
      out.end_array();
      break;
    case value::kind::object:
      out.begin_object();
      for (const auto& [name, member] : v.members()) {
        out.key(name);
        encode_value(member, out);
      }
      out.end_object();
      break;
  }
}

}  // namespace spate::api
