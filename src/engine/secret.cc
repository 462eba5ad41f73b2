// secret: key file handling and HMAC-SHA256 through OpenSSL.
#include "engine/secret.h"

#include "common/log.h"
#include "common/private_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spate::engine {

secret::secret(std::string_view key_bytes) {
  std::copy_n(key_bytes.begin(), std::min(key_bytes.size(), key_.size()), key_.begin());
}

result<secret> secret::load_or_create(const std::string& path) {
  std::array<unsigned char, 32> key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    // A key others can read is tightened to 0600 (as written since this rule).
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && ::fchmod(fd, 0600) == 0) {
      log::warn("{} was readable by others (mode {:03o}); it is 0600 now", path, st.st_mode & 0777);
    }
    const ssize_t n = ::read(fd, key.data(), key.size());
    const auto read_error = last_system_error();
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size())) {
      return n < 0 ? read_error : std::make_error_code(std::errc::illegal_byte_sequence);
    }
  } else if (errno == ENOENT) {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return std::make_error_code(std::errc::io_error);
    }
    SPATE_TRY_VOID(write_private_file(
        path, std::string_view(reinterpret_cast<const char*>(key.data()), key.size())));
  } else {
    return last_system_error();
  }
  return secret(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

secret::mac secret::sign(std::string_view message) const {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int full_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), full, &full_size);
  mac out;
  std::memcpy(out.data(), full, out.size());
  return out;
}

bool secret::verify(std::string_view message, std::string_view tag) const {
  if (tag.size() != mac_size) return false;
  const mac expected = sign(message);
  return CRYPTO_memcmp(expected.data(), tag.data(), mac_size) == 0;
}

}  // namespace spate::engine
