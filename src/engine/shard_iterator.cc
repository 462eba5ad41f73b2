// shard_iterator: sealing with the server secret and the iterator payload layout.
#include "engine/shard_iterator.h"

#include "common/base64.h"
#include "common/coding.h"

namespace spate::engine {
namespace {
constexpr std::uint8_t iterator_version = 1;
constexpr std::size_t iterator_fixed_size = 1 + 8 + 4 + 8 + 8 + 1;
}  // namespace

std::string seal(const secret& key, std::string_view payload) {
  std::string sealed(payload);
  const auto tag = key.sign(payload);
  sealed.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return base64::encode(sealed);
}

std::optional<std::string> unseal(const secret& key, std::string_view token) {
  auto bytes = base64::decode(token);
  if (!bytes || bytes->size() < secret::mac_size) return std::nullopt;
  const std::size_t payload_size = bytes->size() - secret::mac_size;
  const std::string_view view(*bytes);
  if (!key.verify(view.substr(0, payload_size), view.substr(payload_size))) return std::nullopt;
  bytes->resize(payload_size);
  return bytes;
}

std::string encode_shard_iterator(const secret& key, const shard_iterator& it) {
  std::string payload(iterator_fixed_size, '\0');
  char* p = payload.data();
  p[0] = static_cast<char>(iterator_version);
  coding::put_u64(p + 1, static_cast<std::uint64_t>(it.stream_created_ms));
  coding::put_u32(p + 9, it.shard);
  coding::put_u64(p + 13, it.pos);
  coding::put_u64(p + 21, static_cast<std::uint64_t>(it.issued_ms));
  p[29] = static_cast<char>(it.stream_name.size());
  payload += it.stream_name;
  return seal(key, payload);
}

std::optional<shard_iterator> decode_shard_iterator(const secret& key, std::string_view text) {
  const auto payload = unseal(key, text);
  if (!payload || payload->size() < iterator_fixed_size) return std::nullopt;
  const char* p = payload->data();
  if (static_cast<std::uint8_t>(p[0]) != iterator_version) return std::nullopt;
  const std::size_t name_size = static_cast<unsigned char>(p[29]);
  if (payload->size() != iterator_fixed_size + name_size) return std::nullopt;
  shard_iterator it;
  it.stream_created_ms = static_cast<std::int64_t>(coding::get_u64(p + 1));
  it.shard = coding::get_u32(p + 9);
  it.pos = coding::get_u64(p + 13);
  it.issued_ms = static_cast<std::int64_t>(coding::get_u64(p + 21));
  it.stream_name.assign(p + iterator_fixed_size, name_size);
  return it;
}

}  // namespace spate::engine
