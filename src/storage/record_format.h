// The on-disk format of Spate's shard logs, byte by byte. This header holds only constants;
// docs/format/segment_format.md draws the same layout with an example. The record writer, the
// record reader, segments, their index files and recovery all take their numbers from here.
//
// All integers are little-endian. A shard's directory holds segment files named by
// segment_name.h ("<base position, 20 digits>.seg") and, for sealed segments, index files
// ("<base position>.idx").
//
// Segment file = segment header, then record frames back to back, to the end of the file.
//
//   Segment header (40 bytes):
//     0  char[8] magic "SPATESEG"
//     8  u32     format version (1)
//    12  u32     header size in bytes (40); readers skip to this offset
//    16  u64     base position: the position of the first record the segment may hold
//    24  i64     creation time, ms since the Unix epoch
//    32  u32     reserved, zero
//    36  u32     masked CRC32C of bytes [0, 36)
//
//   Record frame (9-byte header + payload):
//     0  u32     masked CRC32C of bytes [8, 9 + payload length): the type byte and payload
//     4  u32     payload length
//     8  u8      type: record_type below; bit 0x80 set means "safe to ignore if unknown"
//     9  payload
//
//   Payload of a type-1 (record) frame:
//     0  u64     position in shard: 0, 1, 2, ... across all segments of the shard
//     8  i64     arrival time, ms since the Unix epoch; never decreases within a shard
//    16  u8      flags: bit 0 = an explicit hash key follows
//    17  u16     partition key length K (1..256 in Kinesis; the format allows 0..65535)
//    19  [u8[16] explicit hash key, big-endian 128-bit, present only if flags bit 0]
//        u8[K]   partition key
//        u8[*]   data: the rest of the payload
//
// Index file (sealed segments only; a cache of what a scan would rebuild):
//     0  char[8] magic "SPATEIDX"
//     8  u32     format version (1)
//    12  u32     entry count N
//    16  u64     base position of the segment
//    24  u64     next position: one past the segment's last record
//    32  u64     trusted size: the segment's byte length when the index was written
//    40  i64     newest arrival time in the segment (INT64_MIN if it holds no record)
//    48  N entries of 24 bytes: u64 position, u64 byte offset of its frame, i64 arrival time
//   end  u32     masked CRC32C of every byte before it
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spate::storage::record_format {

// --- segment header ---
inline constexpr std::string_view segment_magic = "SPATESEG";
inline constexpr std::uint32_t segment_version = 1;
inline constexpr std::size_t segment_header_size = 40;
inline constexpr std::size_t segment_header_crc_offset = 36;

// --- record frame ---
inline constexpr std::size_t frame_header_size = 9;  // crc (4) + length (4) + type (1)
inline constexpr std::size_t frame_crc_offset = 0;
inline constexpr std::size_t frame_length_offset = 4;
inline constexpr std::size_t frame_type_offset = 8;

enum record_type : std::uint8_t {
  // Never written: zeroed or preallocated space reads as type 0.
  zero_type = 0,
  // One stream record, with the payload laid out above.
  full_record_type = 1,
};
// A frame whose type has this bit set may be skipped by readers that do not know the type
// (RocksDB's kRecordTypeSafeIgnoreMask); an unknown type without it is corruption.
inline constexpr std::uint8_t safe_to_ignore_bit = 0x80;

// --- record payload ---
inline constexpr std::size_t payload_position_offset = 0;
inline constexpr std::size_t payload_arrival_offset = 8;
inline constexpr std::size_t payload_flags_offset = 16;
inline constexpr std::size_t payload_key_length_offset = 17;
inline constexpr std::size_t payload_fixed_size = 19;
inline constexpr std::size_t explicit_hash_key_size = 16;
inline constexpr std::uint8_t flag_explicit_hash_key = 0x01;

// Sanity bound on a frame's payload length. It leaves room above Kinesis's record limits so
// the format need not change when they grow; a larger length is corruption.
inline constexpr std::uint32_t max_payload_size = 16u << 20;
inline constexpr std::size_t max_partition_key_size = 0xffff;

// --- index file ---
inline constexpr std::string_view index_magic = "SPATEIDX";
inline constexpr std::uint32_t index_version = 1;
inline constexpr std::size_t index_header_size = 48;
inline constexpr std::size_t index_entry_size = 24;
inline constexpr std::size_t index_trailer_size = 4;

}  // namespace spate::storage::record_format
