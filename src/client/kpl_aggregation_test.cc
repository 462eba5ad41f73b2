// Tests of the KPL aggregated-record encoder and decoder: round trips, exact size prediction,
// a byte vector built by hand from the protobuf spec, and every way an aggregate can be invalid.
#include "client/kpl_aggregation.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace spate::client::detail {
namespace {

std::string bytes(std::initializer_list<unsigned> list) {
  std::string s;
  for (unsigned b : list) s.push_back(static_cast<char>(b));
  return s;
}

std::string magic() {
  return std::string(reinterpret_cast<const char*>(kpl_magic), 4);
}

// magic + protobuf + MD5(protobuf), the MD5 computed here independently of the encoder.
std::string wrap(const std::string& protobuf) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(protobuf.data(), protobuf.size(), digest, &length, EVP_md5(), nullptr), 1);
  return magic() + protobuf + std::string(reinterpret_cast<const char*>(digest), length);
}

record outer_of(std::string data) {
  record r;
  r.sequence_number = "49590338271490256608559692538361571095921575989136588898";
  r.partition_key = "outer-key";
  r.data = std::move(data);
  r.arrival_ms = 1'700'000'000'123;
  return r;
}

std::string aggregate(const std::vector<user_record>& records) {
  aggregator agg;
  for (const auto& r : records) agg.add(r);
  return agg.finish();
}

void expect_round_trip(const std::vector<user_record>& records) {
  aggregator agg;
  for (const auto& r : records) {
    const std::size_t predicted = agg.size_with(r);
    agg.add(r);
    // size_with() before add() is the size finish() would produce right after it.
    aggregator copy = agg;
    EXPECT_EQ(copy.finish().size(), predicted);
  }
  EXPECT_EQ(agg.count(), records.size());
  const std::string data = agg.finish();
  EXPECT_TRUE(agg.empty());

  const record outer = outer_of(data);
  auto out = deaggregate(outer);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const record& r = (*out)[i];
    EXPECT_EQ(r.partition_key, records[i].partition_key) << i;
    EXPECT_EQ(r.explicit_hash_key, records[i].explicit_hash_key) << i;
    EXPECT_EQ(r.data, records[i].data) << i;
    EXPECT_EQ(r.sequence_number, outer.sequence_number);
    EXPECT_EQ(r.arrival_ms, outer.arrival_ms);
    EXPECT_EQ(r.sub_sequence, i);
    EXPECT_TRUE(r.aggregated);
  }
}

TEST(KplAggregation, RoundTripsOneRecord) {
  expect_round_trip({{"key", "", "hello"}});
}

TEST(KplAggregation, RoundTripsThreeRecordsWithSharedAndDistinctKeys) {
  expect_round_trip({{"a", "", "one"}, {"b", "", "two"}, {"a", "", "three"}});
}

TEST(KplAggregation, RoundTripsThousandRecords) {
  std::vector<user_record> records;
  for (int i = 0; i < 1000; ++i) {
    user_record r;
    r.partition_key = "key-" + std::to_string(i % 37);
    if (i % 3 == 0)
      r.explicit_hash_key = std::to_string(1000000007ull * static_cast<unsigned>(i % 11));
    r.data = std::string(static_cast<std::size_t>(i % 200), static_cast<char>('a' + i % 26));
    records.push_back(std::move(r));
  }
  expect_round_trip(records);
}

TEST(KplAggregation, RoundTripsExplicitHashKeys) {
  expect_round_trip({{"a", "340282366920938463463374607431768211455", "max"},
                     {"b", "0", "min"},
                     {"c", "340282366920938463463374607431768211455", "max again"},
                     {"d", "", "routed by key"}});
}

TEST(KplAggregation, RoundTripsEmptyData) {
  expect_round_trip({{"a", "", ""}, {"b", "", ""}});
}

TEST(KplAggregation, RoundTripsBinaryData) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  // Includes the magic itself and a long record whose length needs a two-byte varint.
  expect_round_trip({{"k", "", all_bytes},
                     {"k\x01\xff", "", magic() + all_bytes},
                     {"k", "", std::string(100000, '\0')}});
}

TEST(KplAggregation, DeduplicatesKeysThroughTables) {
  // Two records sharing long keys: the keys are written once.
  const std::string key(100, 'k');
  const std::string hash_key = "12345678901234567890";
  const std::string one = aggregate({{key, hash_key, "x"}});
  const std::string two = aggregate({{key, hash_key, "x"}, {key, hash_key, "y"}});
  // The second record adds only its own message: tag, length, index, index, data field.
  EXPECT_EQ(two.size() - one.size(), 2u + 2u + 2u + 3u);
}

// The expected bytes, built by hand from the protobuf encoding spec:
//   records: {pk "a", data "x"}, {pk "b", ehk "7", data 00 FF}
//   AggregatedRecord, fields in field-number order:
//     0A 01 61              field 1 (partition_key_table), wire type 2, length 1, "a"
//     0A 01 62              field 1, "b"
//     12 01 37              field 2 (explicit_hash_key_table), length 1, "7"
//     1A 05                 field 3 (records), length 5:
//       08 00                 field 1 (partition_key_index) varint 0
//       1A 01 78              field 3 (data) length 1, "x"
//     1A 08                 field 3 (records), length 8:
//       08 01                 partition_key_index 1
//       10 00                 field 2 (explicit_hash_key_index) varint 0
//       1A 02 00 FF           data, length 2
//   MD5 of those 26 bytes computed with Python's hashlib:
//     3F5F8147597C214AB3A616F36F78C85E
TEST(KplAggregation, EncodesHandBuiltByteVector) {
  const std::string expected =
      bytes({0xF3, 0x89, 0x9A, 0xC2,                                            // magic
             0x0A, 0x01, 0x61, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x37,              // tables
             0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 0x78,                          // record 0
             0x1A, 0x08, 0x08, 0x01, 0x10, 0x00, 0x1A, 0x02, 0x00, 0xFF,        // record 1
             0x3F, 0x5F, 0x81, 0x47, 0x59, 0x7C, 0x21, 0x4A, 0xB3, 0xA6, 0x16,  // MD5
             0xF3, 0x6F, 0x78, 0xC8, 0x5E});
  aggregator agg;
  agg.add({"a", "", "x"});
  const user_record second{"b", "7", bytes({0x00, 0xFF})};
  EXPECT_EQ(agg.size_with(second), expected.size());
  agg.add(second);
  EXPECT_EQ(agg.finish(), expected);

  auto out = deaggregate(outer_of(expected));
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].partition_key, "b");
  EXPECT_EQ((*out)[1].explicit_hash_key, "7");
  EXPECT_EQ((*out)[1].data, bytes({0x00, 0xFF}));
}

TEST(KplAggregation, DecodesFieldsInAnyOrderAndSkipsUnknownFields) {
  // Records before the tables, a Tag on the record (field 4), and unknown fields of every
  // skippable wire type at both levels.
  const std::string record_message =
      bytes({0x1A, 0x02, 'h', 'i',                     // data "hi" before the index
             0x22, 0x05, 0x0A, 0x01, 't', 0x12, 0x00,  // field 4: Tag{key "t", value ""}
             0x08, 0x00,                               // partition_key_index 0
             0x78, 0x96, 0x01});                       // field 15 varint 150
  const std::string protobuf =
      bytes({0x1A, static_cast<unsigned>(record_message.size())}) + record_message +
      bytes({0x29, 1,    2,    3,   4,  5, 6, 7, 8,  // field 5, fixed64
             0x35, 1,    2,    3,   4,               // field 6, fixed32
             0x3A, 0x01, 0x00,                       // field 7, length-delimited
             0x0A, 0x03, 'p',  'k', '1'});           // partition_key_table after the record
  auto out = deaggregate(outer_of(wrap(protobuf)));
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].partition_key, "pk1");
  EXPECT_EQ((*out)[0].data, "hi");
  EXPECT_EQ((*out)[0].explicit_hash_key, "");
}

TEST(KplAggregation, AcceptsAggregateWithNoRecords) {
  auto out = deaggregate(outer_of(wrap("")));
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(out->empty());
}

// Tests of every way an aggregate is rejected follow.

TEST(KplAggregation, WrongMagicIsNotAnAggregate) {
  std::string data = aggregate({{"a", "", "x"}});
  data[0] = '\x00';
  EXPECT_FALSE(deaggregate(outer_of(data)).has_value());
  EXPECT_FALSE(deaggregate(outer_of("plain old record data")).has_value());
}

TEST(KplAggregation, BadMd5IsNotAnAggregate) {
  std::string data = aggregate({{"a", "", "x"}});
  data.back() = static_cast<char>(data.back() ^ 1);
  EXPECT_FALSE(deaggregate(outer_of(data)).has_value());
  // A changed payload byte with the old digest.
  data = aggregate({{"a", "", "x"}});
  data[data.size() - 17] = 'y';
  EXPECT_FALSE(deaggregate(outer_of(data)).has_value());
}

TEST(KplAggregation, TooShortIsNotAnAggregate) {
  EXPECT_FALSE(deaggregate(outer_of("")).has_value());
  EXPECT_FALSE(deaggregate(outer_of(magic())).has_value());
  EXPECT_FALSE(deaggregate(outer_of(magic() + std::string(15, '\0'))).has_value());
}

TEST(KplAggregation, TruncatedProtobufIsRejected) {
  const std::string full = aggregate({{"key", "", "some data"}, {"other", "", "more"}});
  const std::string protobuf = full.substr(4, full.size() - 20);
  // Every proper prefix, given a correct MD5: only those ending between top-level fields are
  // (smaller) aggregates - after each table entry (5, 12 bytes) and after the first record
  // (12 + 2 + 13 bytes); every cut inside a field is rejected.
  std::vector<std::size_t> valid;
  for (std::size_t n = 1; n < protobuf.size(); ++n) {
    if (deaggregate(outer_of(wrap(protobuf.substr(0, n))))) valid.push_back(n);
  }
  EXPECT_EQ(valid, (std::vector<std::size_t>{5, 12, 27}));
  // Cut inside the last record's data.
  EXPECT_FALSE(deaggregate(outer_of(wrap(protobuf.substr(0, protobuf.size() - 1)))).has_value());
  // A length running past the end.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x0A, 0x05, 'a'})))).has_value());
  // A varint that never ends.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x0A, 0xFF, 0xFF})))).has_value());
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x08})))).has_value());
}

TEST(KplAggregation, IndexOutOfRangeIsRejected) {
  // partition_key_index 1 with a one-entry table.
  EXPECT_FALSE(
      deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x05, 0x08, 0x01, 0x1A, 0x01, 'x'}))))
          .has_value());
  // explicit_hash_key_index 0 with no hash-key table.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x07, 0x08, 0x00, 0x10, 0x00,
                                                0x1A, 0x01, 'x'}))))
                   .has_value());
  // Sanity: the same bytes with a valid index decode.
  EXPECT_TRUE(
      deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 'x'}))))
          .has_value());
}

TEST(KplAggregation, MissingRequiredFieldsAreRejected) {
  // No data.
  EXPECT_FALSE(
      deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x02, 0x08, 0x00})))).has_value());
  // No partition_key_index.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x03, 0x1A, 0x01, 'x'}))))
                   .has_value());
}

TEST(KplAggregation, WrongWireTypesAndGroupsAreRejected) {
  // partition_key_table as a varint.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x08, 0x01})))).has_value());
  // data as a varint inside a record.
  EXPECT_FALSE(
      deaggregate(outer_of(wrap(bytes({0x0A, 0x01, 'a', 0x1A, 0x04, 0x08, 0x00, 0x18, 0x01}))))
          .has_value());
  // A start-group field.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x2B, 0x2C})))).has_value());
  // Field number 0.
  EXPECT_FALSE(deaggregate(outer_of(wrap(bytes({0x02, 0x00})))).has_value());
}

}  // namespace
}  // namespace spate::client::detail
