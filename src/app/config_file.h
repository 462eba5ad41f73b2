// config_file: spated's --config FILE (TOML) and --print-config.
//
// The file's keys are the long flags without their dashes (`port = 4567`,
// `data-dir = "/var/lib/spate"`, `allow-origin = ["https://a.example"]`, `metrics-auth = true`),
// all at the top level. A flag given on the command line wins over the same key in the file.
// A key that is no flag, a nested table, or a value of the wrong shape is an error naming the
// file, the line and the key; nothing starts on a half-read file.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace spate::app {

// The keys --config may not set: they choose what spated does, not how it serves.
inline constexpr const char* not_in_config_file[] = {"help", "version", "config", "print-config"};

struct config_settings {
  // "--port=4567", ...: for every key whose flag the command line did not give.
  std::vector<std::string> arguments;
  std::map<std::string, int> lines;  // each key's line in the file, for later errors
};

// The file's settings, checked against the flags of `parsed` (the command line, already
// parsed); or an error message naming the file and line.
std::variant<config_settings, std::string> read_config(const std::string& path,
                                                       const CLI::App& parsed);

// Names the key of the file that a parse error from CLI11 is about, with its line, when the
// error is about one of them: "FILE:LINE: key 'port': MESSAGE"; otherwise MESSAGE.
std::string explain_error(const std::string& path, const config_settings& settings,
                          const std::string& message);

// The effective configuration as a TOML file that --config reads back: every flag with the
// value it has now (given, from the file, or the default). `resolved` replaces the value of a
// key whose default is worked out after parsing (say the dashboard's mode); a flag without a
// value is written as a comment.
std::string render_config(const CLI::App& parsed,
                          const std::map<std::string, std::string>& resolved = {});

}  // namespace spate::app
