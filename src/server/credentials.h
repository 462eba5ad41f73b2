// credentials: the access keys spated accepts when it runs with --auth sigv4, read once at
// start-up from the --credentials file.
//
// File format (one key a line, UTF-8 or ASCII):
//   # a comment: lines whose first non-blank character is '#' are ignored, as are blank lines
//   AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
// Each key line is exactly two fields, the access key id and its secret access key, separated
// by spaces or tabs (neither may contain white space; '#' after the first field is part of the
// secret, not a comment). An access key id may appear only once. A file with no key is an
// error, so a typo cannot leave the server accepting nothing without notice.
//
// Thread safety: immutable after load(); shared reads from any thread are safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace spate::server {

class credential_store {
 public:
  // Parses the text of a credentials file, or says why not ("line 3: ...").
  static std::variant<credential_store, std::string> parse(std::string_view text);
  // Reads and parses `path`; the message names the file.
  static std::variant<credential_store, std::string> load(const std::string& path);

  // The secret of `access_key_id`, or nullopt for a key the server does not know.
  std::optional<std::string_view> secret(std::string_view access_key_id) const;
  std::size_t size() const { return secrets_.size(); }

 private:
  std::unordered_map<std::string, std::string> secrets_;
};

}  // namespace spate::server
