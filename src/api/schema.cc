// schema: type conversion and constraint validation with AWS's messages.
#include "api/schema.h"

#include "common/base64.h"
#include "kinesis/identifiers.h"
#include "kinesis/validation.h"

#include <climits>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace spate::api {
namespace {

namespace kv = kinesis::validation;

constexpr double max_timestamp_millis = 8.64e15;

std::string lower_first(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// arn:aws<anything>:kinesis:<anything>:<12 digits>:<prefix>stream/<non-space>+
bool arn_pattern(std::string_view t, bool any_before_stream) {
  if (!t.starts_with("arn:aws")) return false;
  const auto kinesis = t.find(":kinesis:");
  if (kinesis == std::string_view::npos) return false;
  // Find ":<12 digits>:" after ":kinesis:" followed by the resource part.
  for (std::size_t i = kinesis + 8; i + 14 <= t.size(); ++i) {
    if (t[i] != ':' || t[i + 13] != ':') continue;
    bool digits = true;
    for (std::size_t k = i + 1; k < i + 13; ++k) digits = digits && is_digit(t[k]);
    if (!digits) continue;
    std::string_view rest = t.substr(i + 14);
    const auto stream = rest.find("stream/");
    if (stream == std::string_view::npos || (!any_before_stream && stream != 0)) continue;
    std::string_view tail = rest.substr(stream + 7);
    if (tail.empty()) continue;
    bool no_space = true;
    for (char c : tail) no_space = no_space && !std::isspace(static_cast<unsigned char>(c));
    if (no_space) return true;
  }
  return false;
}

// ...:<12 digits>:<anything>stream/<name>/consumer/<name>:<digits>
bool consumer_arn_pattern(std::string_view t) {
  if (!t.starts_with("arn:aws") || t.find(":kinesis:") == std::string_view::npos) return false;
  const auto colon = t.rfind(':');
  const auto digits = t.substr(colon + 1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  const auto head = t.substr(0, colon);
  const auto consumer = head.rfind("/consumer/");
  if (consumer == std::string_view::npos || !kinesis::name_characters(head.substr(consumer + 10)))
    return false;
  const auto before = head.substr(0, consumer);
  const auto stream = before.rfind("stream/");
  if (stream == std::string_view::npos || !kinesis::name_characters(before.substr(stream + 7)))
    return false;
  // The account: 12 digits between colons somewhere before "stream/".
  const auto prefix = before.substr(0, stream);
  for (std::size_t i = 0; i + 13 < prefix.size(); ++i) {
    if (prefix[i] != ':' || prefix[i + 13] != ':') continue;
    bool all = true;
    for (std::size_t k = i + 1; k < i + 13; ++k) all = all && is_digit(prefix[k]);
    if (all) return true;
  }
  return false;
}

// How AWS prints a value in a validation message.
std::string printed(const value& v, const member& m) {
  switch (v.type()) {
    case value::kind::null:
      return "null";
    case value::kind::integer:
      return fmt::format("'{}'", v.as_integer());
    case value::kind::number:
      return fmt::format("'{}'", v.as_number());
    case value::kind::timestamp:
      return fmt::format("'{}'", v.as_integer());
    case value::kind::boolean:
      return v.as_bool() ? "'true'" : "'false'";
    case value::kind::string:
      return fmt::format("'{}'", v.as_string());
    case value::kind::blob:
      return fmt::format("'java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]'", v.as_string().size());
    case value::kind::array: {
      std::string out = "'[";
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ", ";
        const auto& item = v.items()[i];
        if (item.is_object()) {
          out += fmt::format("com.amazonaws.kinesis.v20131202.{}@{:08x}", m.java_type,
                             static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(&item)));
        } else {
          out += item.as_string();
        }
      }
      return out + "]'";
    }
    case value::kind::object: {
      std::string out = "'{";
      bool first = true;
      for (const auto& [k, mv] : v.members()) {
        if (!first) out += ", ";
        first = false;
        out += k + "=" + mv.as_string();
      }
      return out + "}'";
    }
  }
  return "null";
}

// Where a member sits in the request, kept as a chain of views so that a valid request
// builds no path strings at all; a path is rendered only when an error names it.
struct path_ref {
  const path_ref* parent = nullptr;
  std::string_view name;       // member name (wire form)
  std::size_t list_index = 0;  // 1-based position when this step is a list element
};

std::string render(const path_ref* p) {
  if (!p) return {};
  std::string head = render(p->parent);
  if (p->list_index) return fmt::format("{}.{}.member", head, p->list_index);
  if (!head.empty()) head += '.';
  return head + lower_first(p->name);
}

class validator {
 public:
  void check(const value& object, const shape& s, const path_ref* parent) {
    for (const auto& m : s.members) {
      const path_ref here{parent, m.name, 0};
      check_member(object.find(m.name), m, here);
    }
  }

  std::optional<schema_error> result() const {
    if (errors_.empty()) return std::nullopt;
    return schema_error{false, kv::failed(errors_).message};
  }

 private:
  void fail(const value* v, const member& m, const path_ref& path, std::string_view what) {
    errors_.push_back(kv::failure(v ? printed(*v, m) : "null", render(&path), what));
  }

  void check_member(const value* v, const member& m, const path_ref& path) {
    if (!v) {
      if (m.required) fail(v, m, path, kv::must_not_be_null());
      return;
    }
    if (!m.one_of.empty() && v->is_string()) {
      bool found = false;
      for (auto e : m.one_of) found = found || e == v->as_string();
      if (!found) fail(v, m, path, kv::enum_set(m.one_of));
    }
    if (m.matches != pattern::none && v->is_string() &&
        !matches_pattern(m.matches, v->as_string())) {
      fail(v, m, path, kv::pattern(pattern_text(m.matches)));
    }
    std::int64_t length = -1;
    switch (v->type()) {
      case value::kind::string:
        length = static_cast<std::int64_t>(utf8_length(v->as_string()));
        break;
      case value::kind::blob:
        length = static_cast<std::int64_t>(v->as_string().size());
        break;
      case value::kind::array:
        length = static_cast<std::int64_t>(v->items().size());
        break;
      case value::kind::object:
        if (m.type == member_type::map) length = static_cast<std::int64_t>(v->members().size());
        break;
      default:
        break;
    }
    if (length >= 0 && m.min_length && length < *m.min_length) {
      fail(v, m, path, kv::length_at_least(*m.min_length));
    }
    if (length >= 0 && m.max_length && length > *m.max_length) {
      fail(v, m, path, kv::length_at_most(*m.max_length));
    }
    if (v->type() == value::kind::integer) {
      if (m.min_value && v->as_integer() < *m.min_value) {
        fail(v, m, path, kv::value_at_least(*m.min_value));
      }
      if (m.max_value && v->as_integer() > *m.max_value) {
        fail(v, m, path, kv::value_at_most(*m.max_value));
      }
    }
    if (m.type == member_type::map && v->is_object()) {
      bool bad_key = false, bad_value = false;
      for (const auto& [k, mv] : v->members()) {
        const auto kl = static_cast<std::int64_t>(utf8_length(k));
        bad_key = bad_key || kl < 1 || kl > m.map_key_max;
        bad_value =
            bad_value || static_cast<std::int64_t>(utf8_length(mv.as_string())) > m.map_value_max;
      }
      if (bad_key) {
        fail(v, m, path,
             fmt::format("Map keys must satisfy constraint: [Member must have length less "
                         "than or equal to {}, Member must have length greater than or "
                         "equal to 1]",
                         m.map_key_max));
      }
      if (bad_value) {
        fail(v, m, path,
             fmt::format("Map value must satisfy constraint: [Member must have length less "
                         "than or equal to {}, Member must have length greater than or "
                         "equal to 0]",
                         m.map_value_max));
      }
    }
    if (m.type == member_type::list && v->is_array()) {
      if (m.element) {
        for (std::size_t i = 0; i < v->items().size(); ++i) {
          const path_ref element{&path, m.name, i + 1};
          check(v->items()[i], *m.element, &element);
        }
      } else if (!m.one_of.empty()) {
        // A list of enum strings (ShardLevelMetrics): each element must be one of them.
        bool bad = false;
        for (const auto& item : v->items()) {
          bool found = false;
          for (auto e : m.one_of) found = found || (item.is_string() && e == item.as_string());
          bad = bad || !found;
        }
        if (bad) {
          fail(v, m, path,
               fmt::format("Member must satisfy constraint: [{}]", kv::enum_set(m.one_of)));
        }
      } else {
        bool bad = false;
        for (const auto& item : v->items()) {
          const auto l = static_cast<std::int64_t>(utf8_length(item.as_string()));
          bad = bad || l < 1 || l > m.map_key_max;
        }
        if (bad) {
          fail(v, m, path,
               fmt::format("Member must satisfy constraint: [Member must have length less "
                           "than or equal to {}, Member must have length greater than or "
                           "equal to 1]",
                           m.map_key_max));
        }
      }
    }
    if (m.type == member_type::structure && m.element && v->is_object()) {
      check(*v, *m.element, &path);
    }
  }

  std::vector<std::string> errors_;
};

std::string_view type_name(value::kind k) {
  switch (k) {
    case value::kind::boolean:
      return "class java.lang.Boolean";
    case value::kind::string:
      return "class java.lang.String";
    case value::kind::blob:
      return "class java.nio.HeapByteBuffer";
    default:
      return "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
  }
}

std::optional<schema_error> serialization(std::string message) {
  return schema_error{true, std::move(message)};
}

std::optional<schema_error> normalize_member(value& v, const member& m, number_time numbers);

std::optional<schema_error> normalize_object(value& object, const shape& s, number_time numbers) {
  // Null members are absent.
  auto& members = object.members();
  std::erase_if(members, [](const auto& mv) { return mv.second.is_null(); });
  for (const auto& m : s.members) {
    for (auto& [name, v] : members) {
      if (name != m.name) continue;
      if (auto e = normalize_member(v, m, numbers)) return e;
    }
  }
  return std::nullopt;
}

std::optional<schema_error> normalize_member(value& v, const member& m, number_time numbers) {
  const auto k = v.type();
  const bool scalar_expected =
      m.type != member_type::list && m.type != member_type::map && m.type != member_type::structure;
  if (scalar_expected && k == value::kind::array) {
    return serialization("Start of list found where not expected");
  }
  if (scalar_expected && k == value::kind::object) {
    return serialization("Start of structure or map found where not expected.");
  }
  switch (m.type) {
    case member_type::string:
      if (k != value::kind::string) {
        return serialization(fmt::format("{} can not be converted to an String", type_name(k)));
      }
      return std::nullopt;
    case member_type::integer:
      if (k == value::kind::string || k == value::kind::boolean || k == value::kind::blob) {
        return serialization(fmt::format("{} can not be converted to an Integer", type_name(k)));
      }
      if (k == value::kind::timestamp) v = value::integer(v.as_integer());
      if (k == value::kind::number) {
        if (!std::isfinite(v.as_number())) {
          return serialization(
              fmt::format("'{}' can not be converted to an Integer", v.as_number()));
        }
        const double d = std::floor(v.as_number());
        v = value::integer(d >= INT32_MAX   ? INT32_MAX
                           : d <= INT32_MIN ? INT32_MIN
                                            : static_cast<std::int64_t>(d));
      } else if (v.as_integer() > INT32_MAX) {
        v = value::integer(INT32_MAX);
      }
      return std::nullopt;
    case member_type::boolean:
      if (k == value::kind::string) {
        std::string upper = v.as_string();
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return serialization(fmt::format("'{}' can not be converted to an Boolean", upper));
      }
      if (k != value::kind::boolean) {
        return serialization(fmt::format("{} can not be converted to an Boolean", type_name(k)));
      }
      return std::nullopt;
    case member_type::blob: {
      if (k == value::kind::blob) return std::nullopt;  // a codec's byte string (CBOR)
      if (k != value::kind::string) {
        return serialization(fmt::format("{} can not be converted to a Blob", type_name(k)));
      }
      const std::string& text = v.as_string();
      std::string bytes;
      if (!base64::decode_append(text, bytes)) {
        if (text.size() % 4 != 0) {
          return serialization(
              fmt::format("'{}' can not be converted to a Blob: Base64 encoded length "
                          "is expected a multiple of 4 bytes but found: {}",
                          text, text.size()));
        }
        for (char c : text) {
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
            return serialization(fmt::format(
                "'{}' can not be converted to a Blob: Invalid Base64 character: '{}'", text, c));
          }
        }
        return serialization(
            fmt::format("'{}' can not be converted to a Blob: Invalid last non-pad "
                        "Base64 character dectected",
                        text));
      }
      v = value::blob(std::move(bytes));
      return std::nullopt;
    }
    case member_type::timestamp:
      if (k == value::kind::string || k == value::kind::boolean || k == value::kind::blob) {
        return serialization(
            fmt::format("{} can not be converted to milliseconds since epoch", type_name(k)));
      }
      {
        // Milliseconds since the epoch, within what a Java Instant or a JavaScript Date can
        // hold (+/- 8.64e15 ms, about 275,000 years): NaN, infinities and anything beyond
        // are refused, never converted (a double out of int64's range is undefined there).
        double millis = 0;
        if (k == value::kind::timestamp ||
            (k == value::kind::integer && numbers == number_time::epoch_millis)) {
          millis = static_cast<double>(v.as_integer());
        } else if (numbers == number_time::epoch_millis) {
          millis = v.as_number();
        } else {
          millis = v.as_number() * 1000.0;
        }
        if (!std::isfinite(millis) || std::fabs(millis) > max_timestamp_millis) {
          return serialization(
              fmt::format("'{}' can not be converted to milliseconds since epoch: out of range",
                          v.type() == value::kind::number ? fmt::format("{}", v.as_number())
                                                          : std::to_string(v.as_integer())));
        }
        v = value::integer(k == value::kind::timestamp || (k == value::kind::integer &&
                                                           numbers == number_time::epoch_millis)
                               ? v.as_integer()
                               : static_cast<std::int64_t>(std::llround(millis)));
      }
      return std::nullopt;
    case member_type::list:
      if (k == value::kind::object) {
        return serialization("Start of structure or map found where not expected.");
      }
      if (k != value::kind::array) return serialization("Expected list or null");
      for (auto& item : v.items()) {
        if (m.element) {
          if (item.type() == value::kind::array) {
            return serialization("Start of list found where not expected");
          }
          if (!item.is_object()) return serialization("Expected null");
          if (auto e = normalize_object(item, *m.element, numbers)) return e;
        } else {
          member element{.name = m.name, .type = member_type::string};
          if (auto e = normalize_member(item, element, numbers)) return e;
        }
      }
      return std::nullopt;
    case member_type::map:
      if (k == value::kind::array) return serialization("Start of list found where not expected");
      if (k != value::kind::object) return serialization("Expected map or null");
      for (auto& [key, mv] : v.members()) {
        member element{.name = key, .type = member_type::string};
        if (auto e = normalize_member(mv, element, numbers)) return e;
      }
      return std::nullopt;
    case member_type::structure:
      if (k == value::kind::array) return serialization("Start of list found where not expected");
      if (k != value::kind::object) return serialization("Expected null");
      if (m.element) return normalize_object(v, *m.element, numbers);
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

bool matches_pattern(pattern p, std::string_view t) {
  switch (p) {
    case pattern::none:
      return true;
    case pattern::name:
      return kinesis::name_characters(t);
    case pattern::hash_key:
      return kv::decimal_pattern(t, 39);
    case pattern::sequence_number:
      return kv::decimal_pattern(t, 129);
    case pattern::stream_arn:
      return arn_pattern(t, false);
    case pattern::resource_arn:
      return arn_pattern(t, true);
    case pattern::consumer_arn:
      return consumer_arn_pattern(t);
  }
  return false;
}

std::string_view pattern_text(pattern p) {
  switch (p) {
    case pattern::none:
      return "";
    case pattern::name:
      return kv::name_pattern;
    case pattern::hash_key:
      return kv::hash_key_pattern;
    case pattern::sequence_number:
      return kv::sequence_number_pattern;
    case pattern::stream_arn:
      return "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
    case pattern::resource_arn:
      return "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
    case pattern::consumer_arn:
      return "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/"
             "[a-zA-Z0-9_.-]+:[0-9]+";
  }
  return "";
}

std::optional<schema_error> normalize(value& request, const shape& s, number_time numbers) {
  return normalize_object(request, s, numbers);
}

std::optional<schema_error> validate(const value& request, const shape& s) {
  validator v;
  v.check(request, s, nullptr);
  return v.result();
}

member stream_name_member(bool required) {
  return {.name = "StreamName",
          .type = member_type::string,
          .required = required,
          .min_length = 1,
          .max_length = max_stream_name_chars,
          .matches = pattern::name};
}

member stream_arn_member(bool required) {
  return {.name = "StreamARN",
          .type = member_type::string,
          .required = required,
          .min_length = 1,
          .max_length = max_stream_arn_chars,
          .matches = pattern::stream_arn};
}

member shard_id_member(std::string_view name, bool required) {
  return {.name = name,
          .type = member_type::string,
          .required = required,
          .min_length = 1,
          .max_length = max_stream_name_chars,
          .matches = pattern::name};
}

}  // namespace spate::api
