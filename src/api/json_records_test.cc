// json_records: a page written in place is byte for byte the page written token by token, in
// both shapes, on random pages: keys that need escapes and keys beyond ASCII, data of every
// length modulo 3 (base64's tails), empty data, runs of records sharing an arrival time, times
// on a whole second and before 1970, positions up to the largest.
#include "api/json_records.h"

#include "api/json_codec.h"
#include "api/record_encoding.h"
#include "engine/sequence_number.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>

namespace spate::api {
namespace {

// Random pages, with the bytes their views point into.
class random_pages {
 public:
  engine::records_page next() {
    engine::records_page page;
    page.tag = static_cast<std::uint32_t>(random_());
    page.shard = static_cast<metadata::shard_index>(random_() % 3 == 0 ? random_() : random_() % 8);
    const std::size_t count = random_() % 8 == 0 ? 0 : 1 + random_() % 300;
    storage::position pos = random_() % 4 == 0 ? random_() % 1000 : random_();
    if (random_() % 8 == 0) pos = std::numeric_limits<storage::position>::max() - 1 - count;
    std::int64_t arrival = 1'700'000'000'000 + static_cast<std::int64_t>(random_() % 10'000'000);
    for (std::size_t i = 0; i < count; ++i) {
      if (random_() % 5 == 0) arrival = next_arrival(arrival);
      auto bytes = std::make_unique<char[]>(1024);
      const std::string key = partition_key();
      const std::size_t data_size = random_() % 10 == 0 ? 0 : random_() % 300;
      std::memcpy(bytes.get(), key.data(), key.size());
      for (std::size_t b = 0; b < data_size; ++b)
        bytes[key.size() + b] = static_cast<char>(random_());
      storage::record_view r;
      r.pos = pos + i;
      r.arrival_ms = arrival;
      r.partition_key = {bytes.get(), key.size()};
      r.data = {bytes.get() + key.size(), data_size};
      page.batch.records.push_back(r);
      page.batch.bytes += key.size() + data_size;
      page.batch.buffers.push_back(std::move(bytes));
    }
    return page;
  }

 private:
  std::int64_t next_arrival(std::int64_t arrival) {
    switch (random_() % 4) {
      case 0:
        return arrival / 1000 * 1000 + 1000;  // a whole second: no fraction written
      case 1:
        return -static_cast<std::int64_t>(random_() % 100'000);
      default:
        return arrival + 1 + static_cast<std::int64_t>(random_() % 50);
    }
  }

  std::string partition_key() {
    static constexpr std::string_view plain = "abcdefghijklmnopqrstuvwxyz0123456789-_:";
    static const std::string_view odd[] = {"\"", "\\", "\n", "\x01", "\x1f", "\t", "é", "€", "𝄞"};
    std::string key;
    const std::size_t size = random_() % 16 == 0 ? 256 : 1 + random_() % 40;
    while (key.size() < size) {
      if (random_() % 12 == 0)
        key += odd[random_() % std::size(odd)];
      else
        key += plain[random_() % plain.size()];
    }
    return key;
  }

  std::mt19937_64 random_{20261205};
};

// The WebSocket feed's records as they were written before json_records: token by token.
void feed_records_by_tokens(const engine::records_page& page, std::string& out) {
  json_encoder json(out);
  char sequence[engine::sequence_number_digits];
  const engine::shard_sequence_formatter numbers(page.tag, page.shard);
  json.begin_array();
  for (const auto& r : page.batch.records) {
    numbers.format(r.pos, sequence);
    json.begin_object();
    json.key("sequenceNumber");
    json.string({sequence, sizeof sequence});
    json.key("partitionKey");
    json.string(r.partition_key);
    json.key("data");
    json.blob(r.data);
    json.key("arrival");
    json.integer(r.arrival_ms);
    json.end_object();
  }
  json.end_array();
}

TEST(JsonRecords, TheKinesisShapeIsWhatTheTokensWrite) {
  random_pages pages;
  for (int i = 0; i < 300; ++i) {
    const auto page = pages.next();
    std::string by_tokens;
    json_encoder tokens(by_tokens);
    write_record_list_tokens(tokens, page);
    std::string in_place;
    append_kinesis_records_json(page, in_place);
    ASSERT_EQ(in_place, by_tokens) << "page " << i;
  }
}

TEST(JsonRecords, TheFeedShapeIsWhatTheTokensWrite) {
  random_pages pages;
  for (int i = 0; i < 300; ++i) {
    const auto page = pages.next();
    std::string by_tokens;
    feed_records_by_tokens(page, by_tokens);
    std::string in_place;
    append_feed_records_json(page, in_place);
    ASSERT_EQ(in_place, by_tokens) << "page " << i;
  }
}

// Through the encoder, as GetRecords writes it: a member among others, commas where they go.
TEST(JsonRecords, AJsonEncoderTakesTheListAsAMemberValue) {
  random_pages pages;
  for (int i = 0; i < 50; ++i) {
    const auto page = pages.next();
    std::string expected;
    std::string written;
    json_encoder by_tokens(expected);
    json_encoder by_list(written);
    for (auto* enc : {&by_tokens, &by_list}) {
      enc->begin_object();
      enc->key("Before");
      enc->integer(1);
      enc->key("Records");
      if (enc == &by_tokens)
        write_record_list_tokens(*enc, page);
      else
        write_record_list(*enc, page);
      enc->key("After");
      enc->integer(2);
      enc->end_object();
    }
    ASSERT_EQ(written, expected) << "page " << i;
    ASSERT_TRUE(decode_json(written)) << "page " << i;
  }
}

}  // namespace
}  // namespace spate::api
