// secret: the server's private key for authenticating what it hands out (shard iterators,
// pagination tokens), persisted in the data directory so they stay valid across restarts.
//
// The key is 32 random bytes in `<data-dir>/server.key` (mode 0600), created on first start.
// Thread safety: immutable after load; safe to share.
#pragma once

#include "common/result.h"

#include <array>
#include <string>
#include <string_view>

namespace spate::engine {

class secret {
 public:
  static constexpr std::size_t mac_size = 16;  // truncated HMAC-SHA256
  using mac = std::array<unsigned char, mac_size>;

  // Loads the key from `path`, creating it (durably) if the file does not exist.
  static result<secret> load_or_create(const std::string& path);
  // A key given directly (tests).
  explicit secret(std::string_view key_bytes);

  mac sign(std::string_view message) const;
  // Constant-time comparison of `tag` with sign(message).
  bool verify(std::string_view message, std::string_view tag) const;

 private:
  std::array<unsigned char, 32> key_{};
};

}  // namespace spate::engine
