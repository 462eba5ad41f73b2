// sequence_number: 56 digits, order within a shard, round trips, rejection of other text.
#include "engine/sequence_number.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

namespace spate::engine {
namespace {

TEST(SequenceNumberTest, HasFiftySixDigitsAndRoundTrips) {
  const sequence_fields f{stream_tag("orders", 1700000000123), 7, 123456789};
  const auto text = format_sequence_number(f);
  EXPECT_EQ(text.size(), sequence_number_digits);
  EXPECT_EQ(text.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(parse_sequence_number(text), f);
}

TEST(SequenceNumberTest, DigitsMatchPlainFormattingAndTheShardFormatterAgrees) {
  std::mt19937_64 random(20261204);
  for (int i = 0; i < 2000; ++i) {
    const sequence_fields f{static_cast<std::uint32_t>(random()),
                            static_cast<metadata::shard_index>(random() >> (random() % 32)),
                            (random() >> (random() % 64)) % (UINT64_MAX - 1)};
    const auto text = format_sequence_number(f);
    EXPECT_EQ(text.substr(0, 42),
              fmt::format("49{:010}{:010}{:020}", f.stream_tag, f.shard, f.pos + 1));
    char by_shard[sequence_number_digits];
    shard_sequence_formatter(f.stream_tag, f.shard).format(f.pos, by_shard);
    EXPECT_EQ(std::string(by_shard, sizeof by_shard), text);
    EXPECT_EQ(parse_sequence_number(text), f);
  }
}

// The largest position a number can carry: the field holds the position plus one.
constexpr storage::position last_position = UINT64_MAX - 1;

TEST(SequenceNumberTest, GrowsWithPositionAndWithChildShards) {
  const auto tag = stream_tag("s", 1);
  std::string previous = shard_start_sequence_number(tag, 0);
  for (storage::position p :
       std::initializer_list<storage::position>{0, 1, 9, 10, 99, 1000000, last_position}) {
    const auto next = format_sequence_number({tag, 0, p});
    EXPECT_LT(previous, next);
    previous = next;
  }
  EXPECT_LT(format_sequence_number({tag, 0, last_position}), shard_start_sequence_number(tag, 1));
}

TEST(SequenceNumberTest, ShardStartIsBelowTheFirstRecordAndParsesAsSuch) {
  const auto tag = stream_tag("s", 1);
  const auto start = parse_sequence_number(shard_start_sequence_number(tag, 3));
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->shard_start);
  EXPECT_EQ(start->shard, 3u);
  EXPECT_EQ(start->pos, 0u);
  const auto first = parse_sequence_number(format_sequence_number({tag, 3, 0}));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->shard_start);
  EXPECT_EQ(first->pos, 0u);
  const auto last = parse_sequence_number(format_sequence_number({tag, 3, last_position}));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->pos, last_position);
}

TEST(SequenceNumberTest, RejectsGarbledAndForeignText) {
  auto text = format_sequence_number({stream_tag("s", 1), 2, 3});
  EXPECT_FALSE(parse_sequence_number(text.substr(1)));
  EXPECT_FALSE(parse_sequence_number("0"));
  for (std::size_t i = 2; i < text.size(); ++i) {
    auto garbled = text;
    garbled[i] = garbled[i] == '9' ? '0' : static_cast<char>(garbled[i] + 1);
    EXPECT_FALSE(parse_sequence_number(garbled)) << "digit " << i;
  }
}

TEST(SequenceNumberTest, StreamTagDependsOnNameAndCreationTime) {
  EXPECT_NE(stream_tag("a", 1), stream_tag("b", 1));
  EXPECT_NE(stream_tag("a", 1), stream_tag("a", 2));
}

}  // namespace
}  // namespace spate::engine
