// put_results: an entry copied from a shard's template is byte for byte the entry written
// field by field, in JSON and in CBOR, for random shards and positions in any order.
#include "api/put_results.h"

#include "api/wire_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace spate::api {
namespace {

class PutResults : public testing::TestWithParam<wire_codec> {};

TEST_P(PutResults, ATemplateEntryEqualsTheEntryWrittenFieldByField) {
  std::mt19937_64 random(20261205);
  for (int answer = 0; answer < 200; ++answer) {
    const auto tag = static_cast<std::uint32_t>(random());
    std::string templated;
    std::string plain;
    const auto by_template = make_encoder(GetParam(), templated);
    const auto by_fields = make_encoder(GetParam(), plain);
    put_result_templates templates(*by_template, tag);
    by_template->begin_array();
    by_fields->begin_array();
    const int shards = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < 500; ++i) {
      const auto shard = static_cast<metadata::shard_index>(
          i % 7 == 0 ? random() % 4'000'000'000u : random() % shards);
      storage::position pos = random() % 4 == 0 ? random() : random() % 1000;
      if (i == 1) pos = 0;
      if (i == 2) pos = std::numeric_limits<storage::position>::max() - 1;
      by_template->encoded(templates.entry(shard, pos));
      write_put_result(*by_fields, tag, shard, pos);
    }
    by_template->end_array();
    by_fields->end_array();
    ASSERT_EQ(templated, plain) << "answer " << answer;
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, PutResults, testing::Values(wire_codec::json, wire_codec::cbor),
                         [](const auto& info) {
                           return info.param == wire_codec::json ? "Json" : "Cbor";
                         });

}  // namespace
}  // namespace spate::api
