// kpl_aggregation: the KPL aggregated-record format, written by the producer and read by the
// consumer, compatible with the Kinesis Producer Library and the KCL.
//
// An aggregated Kinesis record's data is:
//   4 bytes   magic F3 89 9A C2
//   n bytes   protobuf AggregatedRecord:
//               repeated string partition_key_table    = 1;
//               repeated string explicit_hash_key_table = 2;
//               repeated Record records                = 3;
//             Record:
//               required uint64 partition_key_index     = 1;
//               optional uint64 explicit_hash_key_index = 2;
//               required bytes  data                    = 3;
//               repeated Tag    tags                    = 4;  (Tag: key = 1, value = 2; read,
//               skipped)
//   16 bytes  MD5 of the n protobuf bytes
// Data that lacks the magic, is too short, or whose MD5 does not match is not an aggregate and
// is delivered as the plain record it is (the KCL's rule).
#pragma once

#include <spate/client/record.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spate::client::detail {

inline constexpr unsigned char kpl_magic[4] = {0xF3, 0x89, 0x9A, 0xC2};

// Whether `data` starts with the KPL magic: the records worth trying to deaggregate.
inline bool has_kpl_magic(std::string_view data) {
  return data.size() >= sizeof kpl_magic &&
         std::memcmp(data.data(), kpl_magic, sizeof kpl_magic) == 0;
}

struct user_record {
  std::string partition_key;
  std::string explicit_hash_key;  // decimal, optional
  std::string data;
};

// Builds aggregates incrementally; the producer asks for the encoded size before adding.
class aggregator {
 public:
  // Bytes the aggregate would take (magic + protobuf + MD5) with `r` added.
  std::size_t size_with(const user_record& r) const;
  void add(user_record r);
  std::size_t count() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  // The aggregated record's data; resets the aggregator.
  std::string finish();

 private:
  // Bytes of the protobuf AggregatedRecord with `r` added (without magic and MD5).
  std::size_t protobuf_size_with(const user_record& r) const;

  std::vector<user_record> records_;
  std::vector<std::string> keys_;       // partition_key_table, in order of first use
  std::vector<std::string> hash_keys_;  // explicit_hash_key_table, in order of first use
  std::unordered_map<std::string, std::uint64_t> key_index_;       // keys_[i] -> i
  std::unordered_map<std::string, std::uint64_t> hash_key_index_;  // hash_keys_[i] -> i
  std::size_t protobuf_size_ = 0;  // bytes of the AggregatedRecord holding records_
};

// Splits an aggregated record into user records (sequence number, arrival time copied from
// `outer`; sub_sequence = index; aggregated = true). Returns nullopt if `outer.data` is not a
// valid aggregate; the caller then delivers `outer` itself.
std::optional<std::vector<record>> deaggregate(const record& outer);

}  // namespace spate::client::detail
