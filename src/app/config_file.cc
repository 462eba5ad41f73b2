// config_file: reads spated's TOML settings into command-line arguments, and writes the
// effective configuration back as TOML.
#include "app/config_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <toml++/toml.h>

namespace spate::app {
namespace {

bool settable(const std::string& key) {
  return std::none_of(std::begin(not_in_config_file), std::end(not_in_config_file),
                      [&](const char* reserved) { return key == reserved; });
}

bool is_flag(const CLI::Option& option) {
  return option.get_expected_min() == 0;
}

bool is_numeric(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  return type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0 || type.rfind("FLOAT", 0) == 0;
}

// A scalar TOML value as the text a flag takes; nullopt for tables, arrays, dates and times.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  return std::nullopt;
}

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string toml_value(const CLI::Option& option, const std::string& text) {
  const bool number = is_numeric(option) && !text.empty() &&
                      text.find_first_not_of("-+0123456789.eE") == std::string::npos;
  return number ? text : toml_string(text);
}

}  // namespace

std::variant<config_settings, std::string> read_config(const std::string& path,
                                                       const CLI::App& parsed) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0) return fmt::format("{}: {}", path, e.description());
    return fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                       e.description());
  }
  config_settings settings;
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    const int line = static_cast<int>(key.source().begin.line);
    const auto where = fmt::format("{}:{}: key '{}'", path, line, name);
    const CLI::Option* option = settable(name) ? parsed.get_option_no_throw("--" + name) : nullptr;
    if (option == nullptr) {
      return fmt::format(
          "{}: unknown key (keys are spated's long flags without the dashes; "
          "spated --print-config lists them)",
          where);
    }
    settings.lines[name] = line;
    if (option->count() > 0) continue;  // the command line wins
    if (is_flag(*option)) {
      if (!node.is_boolean()) return where + ": expects true or false";
      settings.arguments.push_back(fmt::format("--{}={}", name, *scalar_text(node)));
      continue;
    }
    if (const auto* array = node.as_array()) {
      if (option->get_items_expected_max() <= 1) return where + ": takes one value, not a list";
      for (const auto& item : *array) {
        auto text = scalar_text(item);
        if (!text) return where + ": a list of plain values (strings or numbers) expected";
        settings.arguments.push_back(fmt::format("--{}={}", name, *text));
      }
      continue;
    }
    auto text = scalar_text(node);
    if (!text || node.is_boolean()) return where + ": expects a string or a number";
    settings.arguments.push_back(fmt::format("--{}={}", name, *text));
  }
  return settings;
}

std::string explain_error(const std::string& path, const config_settings& settings,
                          const std::string& message) {
  for (const auto& [key, line] : settings.lines) {
    if (message.find("--" + key) != std::string::npos) {
      return fmt::format("{}:{}: key '{}': {}", path, line, key, message);
    }
  }
  return message;
}

std::string render_config(const CLI::App& parsed,
                          const std::map<std::string, std::string>& resolved) {
  std::ostringstream out;
  out << "# spated's effective configuration (spated --print-config); spated --config FILE "
         "reads it back.\n";
  for (const CLI::Option* option : parsed.get_options()) {
    if (option->get_lnames().empty()) continue;
    const std::string name = option->get_lnames().front();
    if (!settable(name)) continue;
    if (auto it = resolved.find(name); it != resolved.end()) {
      out << name << " = " << toml_value(*option, it->second) << "\n";
    } else if (is_flag(*option)) {
      out << name << " = " << (option->count() > 0 && option->as<bool>() ? "true" : "false")
          << "\n";
    } else if (option->count() > 0 && option->get_items_expected_max() > 1) {
      out << name << " = [";
      const auto& values = option->results();
      for (std::size_t i = 0; i < values.size(); ++i) {
        out << (i ? ", " : "") << toml_value(*option, values[i]);
      }
      out << "]\n";
    } else if (option->count() > 0) {
      out << name << " = " << toml_value(*option, option->results().back()) << "\n";
    } else if (!option->get_default_str().empty()) {
      out << name << " = " << toml_value(*option, option->get_default_str()) << "\n";
    } else {
      out << "# " << name << " =   (not set)\n";
    }
  }
  return out.str();
}

}  // namespace spate::app
