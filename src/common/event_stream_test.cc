// Tests of the event-stream framing against botocore's published vectors (the bytes and CRCs
// of tests/unit/test_eventstream.py), plus round trips and every decoding error.
#include "common/event_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>

namespace spate::event_stream {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

using headers = std::vector<std::pair<std::string_view, std::string_view>>;

std::string encode(const headers& h, std::string_view payload) {
  std::string out;
  append_message(out, h, payload);
  return out;
}

// botocore's EMPTY_MESSAGE: no headers, no payload.
TEST(EventStreamTest, EncodesTheEmptyMessageAsBotocoreDoes) {
  EXPECT_EQ(encode({}, ""), from_hex("000000100000000005c248eb7d98c8ff"));
}

// PAYLOAD_NO_HEADERS.
TEST(EventStreamTest, EncodesAPayloadWithoutHeaders) {
  EXPECT_EQ(encode({}, "{'foo':'bar'}"),
            from_hex("0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936"));
}

// PAYLOAD_ONE_STR_HEADER.
TEST(EventStreamTest, EncodesOneStringHeader) {
  EXPECT_EQ(encode({{"content-type", "application/json"}}, "{'foo':'bar'}"),
            from_hex("0000003d0000002007fd83960c636f6e74656e742d747970650700106170706c69636174"
                     "696f6e2f6a736f6e7b27666f6f273a27626172277d8d9c08b1"));
}

// ERROR_EVENT_MESSAGE: three string headers, no payload.
TEST(EventStreamTest, EncodesAnErrorEvent) {
  EXPECT_EQ(
      encode({{":message-type", "error"}, {":error-code", "code"}, {":error-message", "message"}},
             ""),
      from_hex("0000005200000042bf23637e0d3a6d6573736167652d747970650700056572726f720b3a"
               "6572726f722d636f6465070004636f64650e3a6572726f722d6d6573736167650700076d"
               "6573736167656b6cea3d"));
}

TEST(EventStreamTest, DecodesBotocoresInitialResponseVector) {
  const auto bytes = from_hex(
      "0000007e0000004fc5a3ddc60d3a6d6573736167652d747970650700056576656e740b3a6576656e742d7479"
      "7065070010696e697469616c2d726573706f6e73650d3a636f6e74656e742d74797065070009746578742f6a"
      "736f6e7b22496e697469616c526573706f6e7365223a2022736f6d6574657874227df6982483");
  const auto d = decode(bytes);
  ASSERT_EQ(d.error, decode_error::none);
  ASSERT_TRUE(d.msg);
  EXPECT_EQ(d.consumed, bytes.size());
  EXPECT_EQ(d.msg->get(":message-type"), "event");
  EXPECT_EQ(d.msg->get(":event-type"), "initial-response");
  EXPECT_EQ(d.msg->get(":content-type"), "text/json");
  EXPECT_EQ(d.msg->payload, R"({"InitialResponse": "sometext"})");
}

TEST(EventStreamTest, RoundTripsMessagesBackToBack) {
  std::string stream;
  append_message(stream, headers{{":event-type", "initial-response"}}, "{}");
  append_message(stream, headers{{":event-type", "SubscribeToShardEvent"}, {":x", ""}},
                 std::string(70000, 'r'));
  auto first = decode(stream);
  ASSERT_TRUE(first.msg);
  EXPECT_EQ(first.msg->payload, "{}");
  auto second = decode(std::string_view(stream).substr(first.consumed));
  ASSERT_TRUE(second.msg);
  EXPECT_EQ(second.msg->get(":event-type"), "SubscribeToShardEvent");
  EXPECT_EQ(second.msg->get(":x"), "");
  EXPECT_EQ(second.msg->payload.size(), 70000u);
  EXPECT_EQ(first.consumed + second.consumed, stream.size());
}

// A message framed around shared bytes is, byte for byte, the message append_message writes
// with the three parts as its payload: random parts, each empty at times.
TEST(EventStreamTest, FramingAroundSharedBytesGivesTheSameMessage) {
  std::mt19937 random(19);
  const auto random_bytes = [&](std::size_t most) {
    std::string out(std::uniform_int_distribution<std::size_t>(0, most)(random), '\0');
    for (auto& c : out) c = static_cast<char>(random());
    return out;
  };
  for (int round = 0; round < 200; ++round) {
    const std::string before = random_bytes(40), shared = random_bytes(70000),
                      after = random_bytes(80);
    const headers h{{":event-type", "SubscribeToShardEvent"}, {":message-type", "event"}};
    std::string head = "kept", tail = "also kept";  // appended to, not replaced
    frame_around(head, tail, h, before, shared, crc32(shared), after);
    ASSERT_EQ(head.substr(4) + shared + tail.substr(9), encode(h, before + shared + after))
        << "round " << round << ": parts of " << before.size() << ", " << shared.size()
        << " and " << after.size() << " bytes";
  }
}

TEST(EventStreamTest, WaitsForTheRestOfAnIncompleteMessage) {
  const auto bytes = encode({{":event-type", "initial-response"}}, "{}");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto d = decode(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(d.msg) << n;
    EXPECT_EQ(d.error, decode_error::none) << n;
  }
  EXPECT_TRUE(decode(bytes).msg);
}

// Tests of the error paths follow.

TEST(EventStreamTest, RejectsEveryAlteredByte) {
  const auto good = encode({{":event-type", "SubscribeToShardEvent"}}, R"({"Records":[]})");
  for (std::size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    const auto d = decode(bad);
    EXPECT_FALSE(d.msg && d.error == decode_error::none && d.consumed == good.size() &&
                 d.msg->payload == R"({"Records":[]})" &&
                 d.msg->get(":event-type") == "SubscribeToShardEvent")
        << "byte " << i;
  }
}

TEST(EventStreamTest, NamesChecksumFailures) {
  auto bytes = encode({}, "payload");
  auto prelude = bytes;
  prelude[9] ^= 1;  // the prelude CRC
  EXPECT_EQ(decode(prelude).error, decode_error::prelude_checksum);
  auto message = bytes;
  message[message.size() - 1] ^= 1;  // the message CRC
  EXPECT_EQ(decode(message).error, decode_error::message_checksum);
}

TEST(EventStreamTest, RejectsImpossibleLengths) {
  // A prelude claiming headers longer than the whole message, with a valid prelude CRC.
  std::string bytes = from_hex("0000001000000020");
  const std::uint32_t crc = crc32(bytes);
  for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(crc >> shift));
  EXPECT_EQ(decode(bytes).error, decode_error::bad_length);
}

TEST(EventStreamTest, RejectsAHeaderOfUnknownType) {
  // One header "a" of type 10, which does not exist; lengths and CRCs are right.
  std::string body = std::string("\x01", 1) + "a" + std::string("\x0a", 1);
  std::string bytes;
  const auto total = static_cast<std::uint32_t>(12 + body.size() + 4);
  for (std::uint32_t v : {total, static_cast<std::uint32_t>(body.size())}) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(v >> shift));
  }
  const std::uint32_t prelude_crc = crc32(bytes);
  for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(prelude_crc >> shift));
  bytes += body;
  const std::uint32_t message_crc = crc32(bytes);
  for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(message_crc >> shift));
  EXPECT_EQ(decode(bytes).error, decode_error::bad_header);
}

}  // namespace
}  // namespace spate::event_stream
