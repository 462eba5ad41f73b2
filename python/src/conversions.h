// conversions: the client's C++ values to Python and back, for every structure described.h
// lists. The Python shapes:
//   structure        dict keyed by member name (snake_case, as in actions.h)
//   std::string      str, except a member named `data`: bytes (records are binary)
//   enumeration      AWS's string ("ACTIVE", "ON_DEMAND"); None for a value this client lacks
//   optional<T>      None or T;  vector<T> list;  tag_map dict[str, str]
//   start_position   {"type": "AT_SEQUENCE_NUMBER", "sequence_number": ..., "timestamp_ms": ...}
//   error            {"code": "ProvisionedThroughputExceededException", "message": ...}
// Timestamps stay epoch milliseconds (members ending in _ms). From Python, a wrong type is a
// TypeError and an unknown enumeration string or member name a ValueError/TypeError naming
// the path ("records[3].data"), raised before anything is sent.
#pragma once

#include "bindings.h"
#include "described.h"

#include <boost/mp11/algorithm.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace spate::python {

// ---- C++ to Python ---------------------------------------------------------------------------

py::object to_py(const std::string& v, bool binary);
py::object to_py(const client::error& e);
py::object to_py(const client::start_position& p);
py::object to_py(const client::put_records_result_entry& e);
inline py::object to_py(bool v) {
  return py::bool_(v);
}

template <class T>
requires std::is_arithmetic_v<T> py::object to_py(T v) {
  return py::int_(v);
}

template <class E>
requires std::is_enum_v<E> py::object to_py(E v) {
  auto text = client::to_string(v);
  if (text.empty()) return py::none();
  return py::str(text.data(), text.size());
}

template <class T>
py::object to_py(const std::optional<T>& v);
template <class T>
py::object to_py(const std::vector<T>& v);
py::object to_py(const std::map<std::string, std::string>& v);

template <class T>
requires boost::describe::has_describe_members<T>::value py::object to_py(const T& v) {
  py::dict out;
  using members = boost::describe::describe_members<T, boost::describe::mod_public>;
  boost::mp11::mp_for_each<members>([&](auto m) {
    const auto& field = v.*m.pointer;
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) {
      out[m.name] = to_py(field, std::string_view(m.name) == "data");
    } else {
      out[m.name] = to_py(field);
    }
  });
  return out;
}

template <class T>
py::object to_py(const std::optional<T>& v) {
  if (!v) return py::none();
  return to_py(*v);
}

template <class T>
py::object to_py(const std::vector<T>& v) {
  py::list out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if constexpr (std::is_same_v<T, std::string>) {
      out[i] = to_py(v[i], false);
    } else {
      out[i] = to_py(v[i]);
    }
  }
  return out;
}

// ---- Python to C++ ---------------------------------------------------------------------------

[[noreturn]] void type_error(const std::string& path, const char* expected, py::handle got);

void from_py(py::handle h, std::string& out, const std::string& path, bool binary);
void from_py(py::handle h, bool& out, const std::string& path);
void from_py(py::handle h, client::start_position& out, const std::string& path);
void from_py(py::handle h, std::map<std::string, std::string>& out, const std::string& path);

template <class T>
requires std::is_integral_v<T>
void from_py(py::handle h, T& out, const std::string& path) {
  if (!PyLong_Check(h.ptr()) || PyBool_Check(h.ptr())) type_error(path, "int", h);
  out = h.cast<T>();
}

template <class E>
requires std::is_enum_v<E>
void from_py(py::handle h, E& out, const std::string& path) {
  if (!PyUnicode_Check(h.ptr())) type_error(path, "str", h);
  auto text = h.cast<std::string>();
  auto parsed = client::parse<E>(text);
  if (!parsed) throw py::value_error(path + ": unknown value '" + text + "'");
  out = *parsed;
}

template <class T>
void from_py(py::handle h, std::optional<T>& out, const std::string& path);
template <class T>
void from_py(py::handle h, std::vector<T>& out, const std::string& path);

// A described structure from a dict (or, at the top, from keyword arguments): unknown keys
// are a TypeError; a member `stream` (a stream_ref) takes the keys stream_name / stream_arn
// of the same dict, so callers write put_record(stream_name="s", ...).
template <class T>
requires boost::describe::has_describe_members<T>::value void from_py(py::handle h, T& out,
                                                                      const std::string& path) {
  if (!PyDict_Check(h.ptr())) type_error(path, "dict", h);
  py::dict given = py::reinterpret_borrow<py::dict>(h);
  std::size_t used = 0;
  const std::string prefix = path.empty() ? "" : path + ".";
  using members = boost::describe::describe_members<T, boost::describe::mod_public>;
  boost::mp11::mp_for_each<members>([&](auto m) {
    auto& field = out.*m.pointer;
    using field_type = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<field_type, client::stream_ref> &&
                  !std::is_same_v<T, client::stream_ref>) {
      if (std::string_view(m.name) == "stream") {
        if (given.contains("stream_name")) {
          from_py(given["stream_name"], field.stream_name, prefix + "stream_name", false);
          ++used;
        }
        if (given.contains("stream_arn")) {
          from_py(given["stream_arn"], field.stream_arn, prefix + "stream_arn", false);
          ++used;
        }
        return;
      }
    }
    if (!given.contains(m.name)) return;
    ++used;
    py::handle value = given[m.name];
    if constexpr (std::is_same_v<field_type, std::string>) {
      from_py(value, field, prefix + m.name, std::string_view(m.name) == "data");
    } else {
      from_py(value, field, prefix + m.name);
    }
  });
  if (used != given.size()) {
    for (auto item : given) {
      auto key = py::str(item.first).cast<std::string>();
      bool known = false;
      boost::mp11::mp_for_each<members>([&](auto m) {
        if (key == m.name) known = true;
        using field_type = std::decay_t<decltype(out.*m.pointer)>;
        if constexpr (std::is_same_v<field_type, client::stream_ref>) {
          if (key == "stream_name" || key == "stream_arn") known = true;
        }
      });
      if (!known) throw py::type_error("unexpected argument '" + prefix + key + "'");
    }
  }
}

template <class T>
void from_py(py::handle h, std::optional<T>& out, const std::string& path) {
  if (h.is_none()) {
    out.reset();
    return;
  }
  T value{};
  if constexpr (std::is_same_v<T, std::string>) {
    from_py(h, value, path, false);
  } else {
    from_py(h, value, path);
  }
  out = std::move(value);
}

template <class T>
void from_py(py::handle h, std::vector<T>& out, const std::string& path) {
  if (!PyList_Check(h.ptr()) && !PyTuple_Check(h.ptr())) type_error(path, "list", h);
  py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
  out.clear();
  out.resize(seq.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    if constexpr (std::is_same_v<T, std::string>) {
      from_py(seq[i], out[i], at, false);
    } else {
      from_py(seq[i], out[i], at);
    }
  }
}

}  // namespace spate::python
