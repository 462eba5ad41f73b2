// kpl_aggregation: encodes and decodes the KPL aggregated-record format (see the header for the
// byte layout). The protobuf schema is small and fixed, so its wire format is written by hand:
// varints and length-delimited fields only, fields in field-number order as protobuf writes
// them. The decoder is strict: every length is bounds-checked, unknown fields are skipped by
// wire type, and any malformed byte makes the whole aggregate invalid.
#include "client/kpl_aggregation.h"

#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace spate::client::detail {
namespace {

// Field tags: (field number << 3) | wire type.
constexpr std::uint64_t wire_varint = 0;
constexpr std::uint64_t wire_fixed64 = 1;
constexpr std::uint64_t wire_length_delimited = 2;
constexpr std::uint64_t wire_fixed32 = 5;

constexpr std::uint64_t tag(std::uint64_t field, std::uint64_t wire_type) {
  return (field << 3) | wire_type;
}

// AggregatedRecord
constexpr std::uint64_t field_partition_key_table = 1;
constexpr std::uint64_t field_explicit_hash_key_table = 2;
constexpr std::uint64_t field_records = 3;
// Record
constexpr std::uint64_t field_partition_key_index = 1;
constexpr std::uint64_t field_explicit_hash_key_index = 2;
constexpr std::uint64_t field_data = 3;

constexpr std::size_t magic_size = sizeof(kpl_magic);
constexpr std::size_t md5_size = 16;

using md5_digest = std::array<unsigned char, md5_size>;

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A length-delimited field of `payload_size` bytes, tag included (all our tags are one byte).
std::size_t length_delimited_size(std::size_t payload_size) {
  return 1 + varint_size(payload_size) + payload_size;
}

void put_length_delimited(std::string& out, std::uint64_t field, std::string_view payload) {
  put_varint(out, tag(field, wire_length_delimited));
  put_varint(out, payload.size());
  out.append(payload);
}

// Size of the Record message (without its own tag and length).
std::size_t record_message_size(std::uint64_t key_index, std::optional<std::uint64_t> hash_index,
                                std::size_t data_size) {
  std::size_t n = 1 + varint_size(key_index);
  if (hash_index) n += 1 + varint_size(*hash_index);
  return n + length_delimited_size(data_size);
}

// The table index `key` has or would get.
std::uint64_t index_of(const std::unordered_map<std::string, std::uint64_t>& index,
                       const std::string& key) {
  auto it = index.find(key);
  return it == index.end() ? index.size() : it->second;
}

bool md5(std::string_view bytes, md5_digest& digest) {
  unsigned int length = 0;
  return EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_md5(), nullptr) == 1 &&
         length == md5_size;
}

// Reads protobuf wire format from a bounded byte range; every read fails rather than run past
// the end.
class wire_reader {
 public:
  explicit wire_reader(std::string_view bytes) : bytes_(bytes) {}

  bool at_end() const { return pos_ == bytes_.size(); }

  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == bytes_.size()) return false;
      const auto b = static_cast<unsigned char>(bytes_[pos_++]);
      // The tenth byte may carry only the 64th bit.
      if (shift == 63 && (b & 0x7E) != 0) return false;
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  bool length_delimited(std::string_view& payload) {
    std::uint64_t length = 0;
    if (!varint(length) || length > bytes_.size() - pos_) return false;
    payload = bytes_.substr(pos_, length);
    pos_ += length;
    return true;
  }

  // Skips a field of an unknown number. Groups (wire types 3 and 4) are deprecated and never
  // written by the KPL; they are treated as malformed.
  bool skip(std::uint64_t wire_type) {
    std::uint64_t ignored = 0;
    std::string_view ignored_payload;
    switch (wire_type) {
      case wire_varint:
        return varint(ignored);
      case wire_fixed64:
        return advance(8);
      case wire_length_delimited:
        return length_delimited(ignored_payload);
      case wire_fixed32:
        return advance(4);
      default:
        return false;
    }
  }

 private:
  bool advance(std::size_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct parsed_record {
  std::uint64_t key_index = 0;
  std::optional<std::uint64_t> hash_index;
  std::string_view data;
};

std::optional<parsed_record> parse_record(std::string_view message) {
  wire_reader in(message);
  parsed_record r;
  bool has_key = false;
  bool has_data = false;
  while (!in.at_end()) {
    std::uint64_t t = 0;
    if (!in.varint(t)) return std::nullopt;
    const std::uint64_t field = t >> 3;
    const std::uint64_t wire_type = t & 7;
    if (field == 0) return std::nullopt;
    if (field == field_partition_key_index && wire_type == wire_varint) {
      if (!in.varint(r.key_index)) return std::nullopt;
      has_key = true;
    } else if (field == field_explicit_hash_key_index && wire_type == wire_varint) {
      std::uint64_t index = 0;
      if (!in.varint(index)) return std::nullopt;
      r.hash_index = index;
    } else if (field == field_data && wire_type == wire_length_delimited) {
      if (!in.length_delimited(r.data)) return std::nullopt;
      has_data = true;
    } else if (field <= field_data) {
      return std::nullopt;  // a known field with the wrong wire type
    } else if (!in.skip(wire_type)) {
      return std::nullopt;  // tags (4) and anything newer
    }
  }
  if (!has_key || !has_data) return std::nullopt;
  return r;
}

}  // namespace

std::size_t aggregator::protobuf_size_with(const user_record& r) const {
  std::size_t n = protobuf_size_;
  const std::uint64_t key_index = index_of(key_index_, r.partition_key);
  if (key_index == keys_.size()) n += length_delimited_size(r.partition_key.size());
  std::optional<std::uint64_t> hash_index;
  if (!r.explicit_hash_key.empty()) {
    hash_index = index_of(hash_key_index_, r.explicit_hash_key);
    if (*hash_index == hash_keys_.size()) n += length_delimited_size(r.explicit_hash_key.size());
  }
  return n + length_delimited_size(record_message_size(key_index, hash_index, r.data.size()));
}

std::size_t aggregator::size_with(const user_record& r) const {
  return magic_size + protobuf_size_with(r) + md5_size;
}

void aggregator::add(user_record r) {
  protobuf_size_ = protobuf_size_with(r);
  if (key_index_.emplace(r.partition_key, keys_.size()).second) keys_.push_back(r.partition_key);
  if (!r.explicit_hash_key.empty() &&
      hash_key_index_.emplace(r.explicit_hash_key, hash_keys_.size()).second) {
    hash_keys_.push_back(r.explicit_hash_key);
  }
  records_.push_back(std::move(r));
}

std::string aggregator::finish() {
  std::string out;
  out.reserve(magic_size + protobuf_size_ + md5_size);
  out.append(reinterpret_cast<const char*>(kpl_magic), magic_size);
  for (const auto& key : keys_) put_length_delimited(out, field_partition_key_table, key);
  for (const auto& key : hash_keys_) put_length_delimited(out, field_explicit_hash_key_table, key);
  for (const auto& r : records_) {
    const std::uint64_t key_index = key_index_.at(r.partition_key);
    std::optional<std::uint64_t> hash_index;
    if (!r.explicit_hash_key.empty()) hash_index = hash_key_index_.at(r.explicit_hash_key);
    put_varint(out, tag(field_records, wire_length_delimited));
    put_varint(out, record_message_size(key_index, hash_index, r.data.size()));
    put_varint(out, tag(field_partition_key_index, wire_varint));
    put_varint(out, key_index);
    if (hash_index) {
      put_varint(out, tag(field_explicit_hash_key_index, wire_varint));
      put_varint(out, *hash_index);
    }
    put_length_delimited(out, field_data, r.data);
  }
  md5_digest digest{};
  // MD5 over a memory buffer only fails if OpenSSL itself is broken; a zero digest then makes
  // the aggregate unreadable rather than silently wrong.
  if (!md5(std::string_view(out).substr(magic_size), digest)) digest.fill(0);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());

  records_.clear();
  keys_.clear();
  hash_keys_.clear();
  key_index_.clear();
  hash_key_index_.clear();
  protobuf_size_ = 0;
  return out;
}

std::optional<std::vector<record>> deaggregate(const record& outer) {
  const std::string_view bytes = outer.data;
  if (bytes.size() < magic_size + md5_size) return std::nullopt;
  if (!has_kpl_magic(bytes)) return std::nullopt;
  const std::string_view message = bytes.substr(magic_size, bytes.size() - magic_size - md5_size);
  md5_digest digest{};
  if (!md5(message, digest)) return std::nullopt;
  if (std::memcmp(digest.data(), bytes.data() + bytes.size() - md5_size, md5_size) != 0) {
    return std::nullopt;
  }

  // Protobuf allows fields in any order, so the tables are complete only after the whole
  // message was read; records are resolved against them afterwards.
  std::vector<std::string_view> keys;
  std::vector<std::string_view> hash_keys;
  std::vector<parsed_record> parsed;
  wire_reader in(message);
  while (!in.at_end()) {
    std::uint64_t t = 0;
    if (!in.varint(t)) return std::nullopt;
    const std::uint64_t field = t >> 3;
    const std::uint64_t wire_type = t & 7;
    if (field == 0) return std::nullopt;
    if (field >= field_partition_key_table && field <= field_records) {
      std::string_view payload;
      if (wire_type != wire_length_delimited || !in.length_delimited(payload)) return std::nullopt;
      if (field == field_partition_key_table) {
        keys.push_back(payload);
      } else if (field == field_explicit_hash_key_table) {
        hash_keys.push_back(payload);
      } else {
        auto r = parse_record(payload);
        if (!r) return std::nullopt;
        parsed.push_back(*r);
      }
    } else if (!in.skip(wire_type)) {
      return std::nullopt;
    }
  }

  std::vector<record> out;
  out.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const parsed_record& p = parsed[i];
    if (p.key_index >= keys.size()) return std::nullopt;
    if (p.hash_index && *p.hash_index >= hash_keys.size()) return std::nullopt;
    record r;
    r.sequence_number = outer.sequence_number;
    r.partition_key = std::string(keys[p.key_index]);
    if (p.hash_index) r.explicit_hash_key = std::string(hash_keys[*p.hash_index]);
    r.data = std::string(p.data);
    r.arrival_ms = outer.arrival_ms;
    r.sub_sequence = static_cast<std::uint32_t>(i);
    r.aggregated = true;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace spate::client::detail
