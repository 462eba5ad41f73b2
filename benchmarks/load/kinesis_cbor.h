// kinesis_cbor: PutRecords in CBOR (application/x-amz-cbor-1.1), as the AWS SDK for Java v2
// and the KCL send it, for spate-bench --codec cbor: the request body (Data as byte strings)
// and the check of the answer. Encoding and decoding go through spate_api's CBOR codec, the
// one spated uses; the benchmark measures the server's decoding, not this.
#pragma once

#include "api/cbor_codec.h"
#include "api/value.h"
#include "benchmarks/load/kinesis_wire.h"

#include <string>
#include <string_view>
#include <vector>

namespace spate::bench {

inline constexpr std::string_view cbor_content_type = "application/x-amz-cbor-1.1";

inline std::string put_records_cbor_body(std::string_view stream, record_factory& records,
                                         std::size_t count, std::size_t record_size) {
  std::vector<api::value> entries;
  entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    entries.push_back(
        api::value::object({{"Data", api::value::blob(records.data(record_size))},
                            {"PartitionKey", api::value::string(records.partition_key())}}));
  }
  return api::encode_cbor(
      api::value::object({{"StreamName", api::value::string(std::string(stream))},
                          {"Records", api::value::array(std::move(entries))}}));
}

// The same checks as parse_put_records (kinesis_wire.h) on a CBOR answer.
inline call_result<put_records_reply> parse_put_records_cbor(const http_reply& reply,
                                                             std::size_t sent) {
  auto doc = api::decode_cbor(reply.body());
  if (!doc || !doc->is_object()) return bad_response("the answer is not a CBOR map");
  auto text = [](const api::value* v) -> std::string_view {
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  };
  if (reply.status != 200) {
    std::string_view type = text(doc->find("__type"));
    if (const auto hash = type.rfind('#'); hash != std::string_view::npos)
      type.remove_prefix(hash + 1);
    return call_error{type.empty() ? "HTTP " + std::to_string(reply.status) : std::string(type),
                      std::string(text(doc->find("message")))};
  }
  const api::value* list = doc->find("Records");
  if (!list || !list->is_array()) return bad_response("no Records in PutRecords answer");
  put_records_reply out;
  for (const auto& r : list->items()) {
    if (!r.is_object()) return bad_response("a record is not a map");
    const std::string_view error_code = text(r.find("ErrorCode"));
    if (!error_code.empty()) {
      if (out.first_error_code.empty()) out.first_error_code = std::string(error_code);
      ++out.failed;
    } else if (!text(r.find("SequenceNumber")).empty() && !text(r.find("ShardId")).empty()) {
      ++out.succeeded;
    } else {
      return bad_response("a record has neither SequenceNumber and ShardId nor ErrorCode");
    }
  }
  const api::value* failed = doc->find("FailedRecordCount");
  return checked_counts(std::move(out), sent,
                        failed ? std::optional<double>(failed->as_number()) : std::nullopt);
}

}  // namespace spate::bench
