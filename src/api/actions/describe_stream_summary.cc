// DescribeStreamSummary: a stream without its shard list, with the open shard count, its
// enhanced monitoring, encryption, maximum record size and (on-demand) warm throughput.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace describe_stream_summary_action {
namespace {

const shape request{{stream_name_member(), stream_arn_member()}};

void handle(action_context& ctx, value& req, responder respond) {
  auto snap = describe_requested(ctx, req, respond);
  if (!snap) return;
  const auto& s = snap->stream;
  value summary = value::object();
  summary.add("StreamName", value::string(s.name))
      .add("StreamARN", value::string(s.arn))
      .add("StreamStatus", value::string(std::string(to_string(s.status))))
      .add("StreamModeDetails", stream_mode_details(s.mode))
      .add("RetentionPeriodHours", value::integer(s.retention_hours))
      .add("StreamCreationTimestamp", value::timestamp(s.created_ms))
      .add("EnhancedMonitoring", enhanced_monitoring(s.shard_level_metrics))
      .add("EncryptionType", value::string(s.encryption_type))
      .add("OpenShardCount", value::integer(static_cast<std::int64_t>(snap->open_shard_count())))
      .add("ConsumerCount", value::integer(static_cast<std::int64_t>(snap->consumer_count)));
  if (!s.kms_key_id.empty()) summary.add("KeyId", value::string(s.kms_key_id));
  summary.add("MaxRecordSizeInKiB", value::integer(s.max_record_size_kib));
  // As on AWS, only on-demand streams of an account with the minimum throughput billing
  // commitment have a warm throughput (or streams given one before the commitment ended).
  if (s.mode == metadata::stream_mode::on_demand &&
      (s.warm_target_mibs > 0 || ctx.engine.account_settings().commitment_status != "DISABLED")) {
    summary.add("WarmThroughput", warm_throughput(s));
  }
  respond(value::object().add("StreamDescriptionSummary", std::move(summary)));
}

}  // namespace
}  // namespace describe_stream_summary_action

const action describe_stream_summary{"DescribeStreamSummary",
                                     &describe_stream_summary_action::request, false,
                                     &describe_stream_summary_action::handle};

}  // namespace spate::api::actions
