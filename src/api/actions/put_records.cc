// PutRecords: up to 500 records / 5 MiB, each routed on its own; results in request order,
// with FailedRecordCount, acknowledged once every touched shard reached the commit point.
#include "api/actions/put_records.h"

#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/put_results.h"

#include <fmt/format.h>

namespace spate::api::actions {
namespace put_records_action {
namespace {

const shape entry{{
    {.name = "PartitionKey",
     .required = true,
     .min_length = 1,
     .max_length = max_partition_key_chars},
    {.name = "ExplicitHashKey", .matches = pattern::hash_key},
    {.name = "Data", .type = member_type::blob, .required = true, .max_length = max_record_data},
}};

const shape request{{
    {.name = "Records",
     .type = member_type::list,
     .required = true,
     .min_length = 1,
     .max_length = max_records_per_put,
     .element = &entry,
     .java_type = "PutRecordsRequestEntry"},
    stream_name_member(),
    stream_arn_member(),
}};

void respond_with_results(action_context& ctx, const std::string& stream, std::size_t bytes,
                          std::vector<engine::put_result> results, std::uint32_t tag,
                          const responder& respond) {
  std::size_t failed = 0;
  for (const auto& r : results) failed += r.error.has_value();
  ctx.traffic.records_in(stream, results.size() - failed, bytes);
  const std::size_t hint = results.size() * 110 + 128;  // {"SequenceNumber":...,"ShardId":...}
  respond(body_writer{[results = std::move(results), tag, failed](encoder& out) {
                        put_result_templates acknowledged(out, tag);
                        out.begin_object();
                        out.key("FailedRecordCount");
                        out.integer(static_cast<std::int64_t>(failed));
                        out.key("Records");
                        out.begin_array();
                        for (const auto& r : results) {
                          if (!r.error) {
                            out.encoded(acknowledged.entry(r.shard, r.pos));
                            continue;
                          }
                          out.begin_object();
                          out.key("ErrorCode");
                          if (r.error->kind == engine::failure_kind::throughput_exceeded) {
                            out.string("ProvisionedThroughputExceededException");
                            out.key("ErrorMessage");
                            out.string(r.error->message);
                          } else {
                            out.string("InternalFailure");
                            out.key("ErrorMessage");
                            out.string("Internal Service Failure");
                          }
                          out.end_object();
                        }
                        out.end_array();
                        out.key("EncryptionType");
                        out.string("NONE");
                        out.end_object();
                      },
                      hint});
}

void handle(action_context& ctx, value& req, responder respond) {
  const auto& entries = req.find("Records")->items();
  std::vector<storage::record_input> records(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (auto e = read_record(entries[i], records[i])) return respond(*e);
  }
  put_checked_records(ctx, get_string(req, "StreamName"), get_string(req, "StreamARN"), records,
                      std::move(respond));
}

}  // namespace
}  // namespace put_records_action

const action put_records{"PutRecords", &put_records_action::request, false,
                         &put_records_action::handle};

void put_checked_records(action_context& ctx, const std::string* stream_name,
                         const std::string* stream_arn,
                         std::span<const storage::record_input> records, responder respond) {
  api_error error;
  auto name = resolve_stream_names(ctx, stream_name, stream_arn, error);
  if (!name) return respond(error);
  std::size_t bytes = 0;
  for (const auto& r : records) bytes += r.data.size() + r.partition_key.size();
  if (bytes > kinesis::put_records_max_bytes) {
    return respond(invalid_argument(fmt::format(
        "Records size {} exceeds the PutRecords limit of {} bytes (data plus partition keys).",
        bytes, kinesis::put_records_max_bytes)));
  }
  auto stream = std::make_shared<std::string>(std::move(*name));
  auto put = ctx.engine.put(
      *stream, records,
      [&ctx, stream, bytes, respond](std::vector<engine::put_result>& results, std::uint32_t tag) {
        // On the commit thread: the answer is encoded later, on the connection's thread.
        put_records_action::respond_with_results(ctx, *stream, bytes, std::move(results), tag,
                                                 respond);
      });
  if (!put) respond(from_failure(put.error()));
}

}  // namespace spate::api::actions
