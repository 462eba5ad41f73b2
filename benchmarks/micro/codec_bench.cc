// Wire codec benchmarks (make bench): what a record costs to decode and encode in JSON 1.1
// against CBOR 1.1, on the two documents that carry records. Decoding is a PutRecords request
// of 500 records of 100 bytes (the producers' hot request) into the codec-independent value;
// encoding is a GetRecords answer of 500 such records (the readers' hot answer) from a value.
// Items per second are records per second; the ratio of the JSON and CBOR rows is the cost of
// one codec against the other. (JSON PutRecords normally takes json_fast_path.h instead of
// the value tree; CBOR always takes the tree, so the tree-to-tree rows compare like with like.)
// The base64 rows decode one record's data, with the decoder PutRecords uses and with the plain
// one it is checked against.
#include "api/cbor_codec.h"
#include "api/json_codec.h"
#include "api/value.h"
#include "common/base64.h"

#include <benchmark/benchmark.h>

#include <string>

namespace spate::api {
namespace {

constexpr int records = 500;
constexpr std::size_t record_size = 100;

std::string payload(int i) {
  return std::string(record_size, static_cast<char>('a' + i % 26));
}

// The PutRecords request as a codec would decode it: data as a blob for CBOR, base64 text
// for JSON (which carries blobs as strings).
value put_records_request(bool base64_data) {
  value list = value::array();
  for (int i = 0; i < records; ++i) {
    const std::string data = payload(i);
    list.push(
        value::object()
            .add("Data", base64_data ? value::string(base64::encode(data)) : value::blob(data))
            .add("PartitionKey", value::string("partition-key-" + std::to_string(i))));
  }
  return value::object().add("StreamName", value::string("bench")).add("Records", std::move(list));
}

value get_records_answer() {
  value list = value::array();
  for (int i = 0; i < records; ++i) {
    list.push(value::object()
                  .add("SequenceNumber",
                       value::string("4963200000000000000000000000000000000000000000000000" +
                                     std::to_string(1000 + i)))
                  .add("ApproximateArrivalTimestamp", value::timestamp(1'764'000'000'000 + i))
                  .add("Data", value::blob(payload(i)))
                  .add("PartitionKey", value::string("partition-key-" + std::to_string(i))));
  }
  return value::object()
      .add("Records", std::move(list))
      .add("NextShardIterator", value::string(std::string(200, 'i')))
      .add("MillisBehindLatest", value::integer(0));
}

void BM_DecodePutRecords_Json(benchmark::State& state) {
  const std::string body = encode_json(put_records_request(true));
  for (auto _ : state) benchmark::DoNotOptimize(decode_json(body));
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void BM_DecodePutRecords_Cbor(benchmark::State& state) {
  const std::string body = encode_cbor(put_records_request(false));
  for (auto _ : state) benchmark::DoNotOptimize(decode_cbor(body));
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void BM_EncodeGetRecords_Json(benchmark::State& state) {
  const value answer = get_records_answer();
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_json(answer, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void BM_EncodeGetRecords_Cbor(benchmark::State& state) {
  const value answer = get_records_answer();
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_cbor(answer, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

// The base64 text of one record's data, decoded as the PutRecords fast path decodes it; the
// argument is the size of the data in bytes. Bytes per second count the text.
template <bool plain>
void BM_Base64Decode(benchmark::State& state) {
  std::string bytes(static_cast<std::size_t>(state.range(0)), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  const std::string text = base64::encode(bytes);
  std::string out;
  for (auto _ : state) {
    out.clear();
    const bool ok = plain ? base64::decode_append_plain(text, out) : base64::decode_append(text, out);
    if (!ok) state.SkipWithError("the text did not decode");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

// One record's data encoded as a GetRecords answer writes it; the argument is the size of the
// data in bytes. Bytes per second count the data.
template <bool plain>
void BM_Base64Encode(benchmark::State& state) {
  std::string bytes(static_cast<std::size_t>(state.range(0)), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  std::string text(base64::encoded_size(bytes.size()), '\0');
  for (auto _ : state) {
    benchmark::DoNotOptimize(plain ? base64::encode_to_plain(bytes, text.data())
                                   : base64::encode_to(bytes, text.data()));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

BENCHMARK(BM_DecodePutRecords_Json);
BENCHMARK(BM_DecodePutRecords_Cbor);
BENCHMARK(BM_EncodeGetRecords_Json);
BENCHMARK(BM_EncodeGetRecords_Cbor);
BENCHMARK(BM_Base64Decode<false>)->Name("BM_Base64Decode")->Arg(100)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Base64Decode<true>)->Name("BM_Base64Decode_Plain")->Arg(100)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Base64Encode<false>)->Name("BM_Base64Encode")->Arg(100)->Arg(1024)->Arg(65536);
BENCHMARK(BM_Base64Encode<true>)->Name("BM_Base64Encode_Plain")->Arg(100)->Arg(1024)->Arg(65536);

}  // namespace
}  // namespace spate::api

BENCHMARK_MAIN();
