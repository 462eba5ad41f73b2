// Round trips of the record frame and every error path of the frame decoder.
#include "storage/record_format.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/record_reader.h"
#include "storage/record_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::storage {
namespace {

namespace fmt = record_format;

std::string frame_of(const record_input& r, position pos = 7, std::int64_t arrival = 1234) {
  std::string out;
  append_record_frame(out, r, pos, arrival);
  return out;
}

// Recomputes a frame's CRC after a test edited its bytes, so the edit reaches later checks.
void fix_checksum(std::string& frame) {
  std::uint32_t crc =
      crc32c::value(frame.data() + fmt::frame_type_offset, frame.size() - fmt::frame_type_offset);
  coding::put_u32(frame.data(), crc32c::mask(crc));
}

TEST(RecordFormat, FrameRoundTripsEveryField) {
  uint128 hash = (static_cast<uint128>(1) << 127) + 5;
  record_input in{"user-42", hash, "payload bytes"};
  std::string frame = frame_of(in, 99, 1700000000123);
  EXPECT_EQ(frame.size(), record_frame_size(in));
  decoded_frame out = decode_frame(frame);
  ASSERT_EQ(out.status, frame_status::ok);
  EXPECT_EQ(out.frame_size, frame.size());
  EXPECT_EQ(out.record.pos, 99u);
  EXPECT_EQ(out.record.arrival_ms, 1700000000123);
  EXPECT_EQ(out.record.partition_key, "user-42");
  ASSERT_TRUE(out.record.explicit_hash_key);
  EXPECT_TRUE(*out.record.explicit_hash_key == hash);
  EXPECT_EQ(out.record.data, "payload bytes");
}

TEST(RecordFormat, EmptyDataAndNoHashKeyRoundTrip) {
  std::string frame = frame_of({"k", std::nullopt, ""});
  decoded_frame out = decode_frame(frame);
  ASSERT_EQ(out.status, frame_status::ok);
  EXPECT_FALSE(out.record.explicit_hash_key);
  EXPECT_EQ(out.record.data, "");
  EXPECT_EQ(frame.size(), fmt::frame_header_size + fmt::payload_fixed_size + 1);
}

TEST(RecordFormat, BinaryDataWithZerosRoundTrips) {
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  std::string frame = frame_of({"key", std::nullopt, data});
  decoded_frame out = decode_frame(frame);
  ASSERT_EQ(out.status, frame_status::ok);
  EXPECT_EQ(out.record.data, data);
}

TEST(RecordFormat, ConsecutiveFramesDecodeInOrder) {
  std::string log;
  for (int i = 0; i < 10; ++i) {
    append_record_frame(log, {"k" + std::to_string(i), std::nullopt, std::string(i, 'x')}, i, i);
  }
  std::string_view rest = log;
  for (int i = 0; i < 10; ++i) {
    decoded_frame f = decode_frame(rest);
    ASSERT_EQ(f.status, frame_status::ok);
    EXPECT_EQ(f.record.pos, static_cast<position>(i));
    EXPECT_EQ(f.record.data.size(), static_cast<std::size_t>(i));
    rest.remove_prefix(f.frame_size);
  }
  EXPECT_TRUE(rest.empty());
}

// Tests of every error path in record_reader.cc follow.

TEST(RecordFormat, ChecksumMismatchIsBadCrc) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  frame.back() ^= 0x01;
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_crc);
}

TEST(RecordFormat, FlippedTypeByteIsBadCrc) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  frame[fmt::frame_type_offset] = 2;
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_crc);
}

TEST(RecordFormat, LengthAboveLimitIsBadLength) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  coding::put_u32(frame.data() + fmt::frame_length_offset, fmt::max_payload_size + 1);
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_length);
}

TEST(RecordFormat, TruncatedFrameIsIncomplete) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  for (std::size_t cut = 1; cut < frame.size(); ++cut) {
    EXPECT_EQ(decode_frame(std::string_view(frame).substr(0, cut)).status, frame_status::incomplete)
        << cut;
  }
  EXPECT_EQ(decode_frame("").status, frame_status::incomplete);
}

TEST(RecordFormat, ZeroFilledSpaceIsZero) {
  EXPECT_EQ(decode_frame(std::string(64, '\0')).status, frame_status::zero);
  EXPECT_EQ(decode_frame(std::string(fmt::frame_header_size, '\0')).status, frame_status::zero);
}

TEST(RecordFormat, ShortZeroBytesAreIncompleteNotZero) {
  // A frame whose masked CRC begins with zero bytes, cut by a buffer boundary, looks like
  // zeros: it must read as "need more bytes", never as the end of the log.
  for (position p = 0; p < 4096; ++p) {
    std::string frame = frame_of({"k", std::nullopt, "d"}, p);
    if (frame[0] != 0) continue;
    EXPECT_EQ(decode_frame(std::string_view(frame).substr(0, 1)).status, frame_status::incomplete);
    return;
  }
  FAIL() << "no frame with a zero first byte in 4096 positions";
}

TEST(RecordFormat, UnknownTypeIsCorruptUnlessSafeToIgnore) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  frame[fmt::frame_type_offset] = 5;
  fix_checksum(frame);
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_type);
  frame[fmt::frame_type_offset] = static_cast<char>(5 | fmt::safe_to_ignore_bit);
  fix_checksum(frame);
  decoded_frame out = decode_frame(frame);
  EXPECT_EQ(out.status, frame_status::skipped);
  EXPECT_EQ(out.frame_size, frame.size());
}

TEST(RecordFormat, KeyLengthPastPayloadIsBadPayload) {
  std::string frame = frame_of({"key", std::nullopt, "data"});
  coding::put_u16(frame.data() + fmt::frame_header_size + fmt::payload_key_length_offset, 500);
  fix_checksum(frame);
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_payload);
}

TEST(RecordFormat, PayloadShorterThanFixedPartIsBadPayload) {
  std::string frame(fmt::frame_header_size + 4, '\0');
  coding::put_u32(frame.data() + fmt::frame_length_offset, 4);
  frame[fmt::frame_type_offset] = fmt::full_record_type;
  fix_checksum(frame);
  EXPECT_EQ(decode_frame(frame).status, frame_status::bad_payload);
}

}  // namespace
}  // namespace spate::storage
