// conversions: the hand-written cases of conversions.h (strings, errors, start positions,
// PutRecords entries, tags).
#include "conversions.h"

namespace spate::python {

py::object to_py(const std::string& v, bool binary) {
  if (binary) return py::bytes(v);
  return py::str(v);
}

py::object to_py(const client::error& e) {
  py::dict out;
  out["code"] = std::string(e.name());
  out["message"] = e.message;
  return out;
}

py::object to_py(const client::start_position& p) {
  py::dict out;
  out["type"] = to_py(p.type);
  out["sequence_number"] = p.sequence_number;
  out["timestamp_ms"] = p.timestamp_ms;
  return out;
}

py::object to_py(const client::put_records_result_entry& e) {
  py::dict out;
  if (e.failure) {
    out["error_code"] = std::string(e.failure->name());
    out["error_message"] = e.failure->message;
  } else {
    out["shard_id"] = e.shard_id;
    out["sequence_number"] = e.sequence_number;
  }
  return out;
}

py::object to_py(const std::map<std::string, std::string>& v) {
  py::dict out;
  for (const auto& [k, val] : v) out[py::str(k)] = py::str(val);
  return out;
}

void type_error(const std::string& path, const char* expected, py::handle got) {
  throw py::type_error(path + ": expected " + expected + ", got " +
                       py::str(py::type::handle_of(got).attr("__name__")).cast<std::string>());
}

void from_py(py::handle h, std::string& out, const std::string& path, bool binary) {
  if (binary) {
    // bytes, bytearray or any buffer; str is refused: records are bytes, encode text yourself.
    if (PyBytes_Check(h.ptr())) {
      char* data = nullptr;
      Py_ssize_t size = 0;
      PyBytes_AsStringAndSize(h.ptr(), &data, &size);
      out.assign(data, static_cast<std::size_t>(size));
      return;
    }
    if (PyUnicode_Check(h.ptr()) || !PyObject_CheckBuffer(h.ptr())) {
      type_error(path, "bytes (encode text first, e.g. data.encode())", h);
    }
    py::buffer_info info = py::reinterpret_borrow<py::buffer>(h).request();
    out.assign(static_cast<const char*>(info.ptr),
               static_cast<std::size_t>(info.size * info.itemsize));
    return;
  }
  if (!PyUnicode_Check(h.ptr())) type_error(path, "str", h);
  Py_ssize_t size = 0;
  const char* text = PyUnicode_AsUTF8AndSize(h.ptr(), &size);
  if (!text) throw py::error_already_set();
  out.assign(text, static_cast<std::size_t>(size));
}

void from_py(py::handle h, bool& out, const std::string& path) {
  if (!PyBool_Check(h.ptr())) type_error(path, "bool", h);
  out = h.cast<bool>();
}

void from_py(py::handle h, client::start_position& out, const std::string& path) {
  if (!PyDict_Check(h.ptr())) type_error(path, "dict", h);
  py::dict given = py::reinterpret_borrow<py::dict>(h);
  for (auto item : given) {
    auto key = py::str(item.first).cast<std::string>();
    if (key == "type") {
      from_py(item.second, out.type, path + ".type");
    } else if (key == "sequence_number") {
      from_py(item.second, out.sequence_number, path + ".sequence_number", false);
    } else if (key == "timestamp_ms") {
      from_py(item.second, out.timestamp_ms, path + ".timestamp_ms");
    } else {
      throw py::type_error("unexpected argument '" + path + "." + key + "'");
    }
  }
}

void from_py(py::handle h, std::map<std::string, std::string>& out, const std::string& path) {
  if (!PyDict_Check(h.ptr())) type_error(path, "dict", h);
  out.clear();
  for (auto item : py::reinterpret_borrow<py::dict>(h)) {
    std::string key;
    std::string value;
    from_py(item.first, key, path + " key", false);
    from_py(item.second, value, path + "[" + key + "]", false);
    out.emplace(std::move(key), std::move(value));
  }
}

}  // namespace spate::python
