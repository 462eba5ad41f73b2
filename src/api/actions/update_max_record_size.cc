// UpdateMaxRecordSize: a stream's largest record (data plus partition key), 1024 to 10240
// KiB; PutRecord and PutRecords refuse larger records from then on (engine::put), and
// DescribeStreamSummary reports it as MaxRecordSizeInKiB. The stream is UPDATING for
// --update-stream-ms.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace update_max_record_size_action {
namespace {

const shape request{{
    stream_arn_member(),
    {.name = "MaxRecordSizeInKiB",
     .type = member_type::integer,
     .required = true,
     .min_value = kinesis::min_record_size_kib,
     .max_value = kinesis::max_record_size_kib},
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  auto updated = ctx.engine.update_max_record_size(
      *name, static_cast<int>(*get_integer(req, "MaxRecordSizeInKiB")));
  if (!updated) return respond(from_failure(updated.error()));
  respond(no_content());
}

}  // namespace
}  // namespace update_max_record_size_action

const action update_max_record_size{"UpdateMaxRecordSize", &update_max_record_size_action::request,
                                    true, &update_max_record_size_action::handle};

}  // namespace spate::api::actions
