// StartStreamEncryption / StopStreamEncryption: server-side encryption of a stream with a KMS
// key. There is no KMS here: the key id is kept and reported (DescribeStream,
// DescribeStreamSummary), records are stored as they are. The stream is UPDATING for
// --update-stream-ms, then ACTIVE, as on AWS.
#include "api/actions/actions.h"
#include "api/actions/common.h"

#include <fmt/format.h>

namespace spate::api::actions {
namespace stream_encryption_action {
namespace {

const shape request{{
    stream_name_member(),
    {.name = "EncryptionType", .required = true, .one_of = {"NONE", "KMS"}},
    {.name = "KeyId", .required = true, .min_length = 1, .max_length = 2048},
    stream_arn_member(),
}};

void start(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  if (*get_string(req, "EncryptionType") != "KMS") {
    return respond(invalid_argument(
        fmt::format("Encryption type NONE is not valid for StartStreamEncryption on stream {} "
                    "under account {}. Use KMS.",
                    *name, ctx.engine.options().account_id)));
  }
  auto started = ctx.engine.start_encryption(*name, *get_string(req, "KeyId"));
  if (!started) return respond(from_failure(started.error()));
  respond(no_content());
}

void stop(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  auto snap = ctx.engine.describe(*name);
  if (!snap) return respond(from_failure(snap.error()));
  if (snap->stream.encryption_type == "KMS" &&
      *get_string(req, "KeyId") != snap->stream.kms_key_id) {
    return respond(invalid_argument(
        fmt::format("KeyId {} does not match the key {} stream {} under account {} is "
                    "encrypted with.",
                    *get_string(req, "KeyId"), snap->stream.kms_key_id, *name,
                    ctx.engine.options().account_id)));
  }
  auto stopped = ctx.engine.stop_encryption(*name);
  if (!stopped) return respond(from_failure(stopped.error()));
  respond(no_content());
}

}  // namespace
}  // namespace stream_encryption_action

const action start_stream_encryption{"StartStreamEncryption", &stream_encryption_action::request,
                                     true, &stream_encryption_action::start};
const action stop_stream_encryption{"StopStreamEncryption", &stream_encryption_action::request,
                                    true, &stream_encryption_action::stop};

}  // namespace spate::api::actions
