// shard_iterator: the opaque, authenticated strings GetShardIterator hands out and GetRecords
// takes back, and the same sealing for pagination tokens.
//
// A sealed token is base64(payload | HMAC-SHA256(payload)[0..16)) with the server's secret,
// so it cannot be forged or altered. A shard iterator's payload is, little-endian:
//
//   version (1) = 1 | stream created_ms (8) | shard index (4) | position (8) |
//   issued_ms (8) | stream name length (1) | stream name
//
// The stream's creation time tells a stream apart from an earlier one of the same name; the
// issue time lets GetRecords reject iterators older than the iterator lifetime (5 minutes on
// AWS). A 128-character stream name gives a 232-character iterator (AWS allows 512).
#pragma once

#include "engine/secret.h"
#include "metadata/catalog.h"
#include "storage/record.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::engine {

std::string seal(const secret& key, std::string_view payload);
// The payload, or nullopt if `token` is not base64 or its tag does not verify.
std::optional<std::string> unseal(const secret& key, std::string_view token);

struct shard_iterator {
  std::string stream_name;
  std::int64_t stream_created_ms = 0;
  metadata::shard_index shard = 0;
  storage::position pos = 0;
  std::int64_t issued_ms = 0;

  friend bool operator==(const shard_iterator&, const shard_iterator&) = default;
};

std::string encode_shard_iterator(const secret& key, const shard_iterator& it);
// nullopt if the iterator was not made by this server (garbled, forged, other key).
std::optional<shard_iterator> decode_shard_iterator(const secret& key, std::string_view text);

}  // namespace spate::engine
