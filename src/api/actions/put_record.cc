// PutRecord: one record, routed by MD5(PartitionKey) or ExplicitHashKey, acknowledged at the
// fsync policy's commit point.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "kinesis/rules.h"

namespace spate::api::actions {
namespace put_record_action {
namespace {

const shape request{{
    {.name = "SequenceNumberForOrdering", .matches = pattern::sequence_number},
    {.name = "PartitionKey",
     .required = true,
     .min_length = 1,
     .max_length = max_partition_key_chars},
    {.name = "ExplicitHashKey", .matches = pattern::hash_key},
    {.name = "Data", .type = member_type::blob, .required = true, .max_length = max_record_data},
    stream_name_member(),
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  // SequenceNumberForOrdering must be a number this server issued, or one AWS reads in its
  // oldest layout; nothing more is needed to honour it: a shard's numbers only grow, and a
  // partition key stays on one shard until resharding, whose children number above their
  // parents.
  if (const std::string* ordering = get_string(req, "SequenceNumberForOrdering")) {
    if (!kinesis::old_layout_sequence_number(*ordering) &&
        !engine::parse_sequence_number(*ordering)) {
      return respond(from_violation(
          kinesis::ordering_number_invalid(*ordering, *name, ctx.engine.options().account_id)));
    }
  }
  storage::record_input record;
  if (auto e = read_record(req, record)) return respond(*e);
  auto stream = std::make_shared<std::string>(std::move(*name));
  auto put = ctx.engine.put(
      *stream, std::span(&record, 1),
      [&ctx, stream, bytes = record.data.size() + record.partition_key.size(), respond](
          std::vector<engine::put_result>& results, std::uint32_t tag) {
        // On the commit thread: only note the result; encoding happens on the connection's.
        const auto& r = results.front();
        if (r.error) return respond(from_failure(*r.error));
        ctx.traffic.records_in(*stream, 1, bytes);
        respond(body_writer{[r, tag](encoder& out) {
                              char sequence[engine::sequence_number_digits];
                              engine::format_sequence_number({tag, r.shard, r.pos}, sequence);
                              out.begin_object();
                              out.key("ShardId");
                              out.string(kinesis::shard_id(r.shard));
                              out.key("SequenceNumber");
                              out.string({sequence, sizeof sequence});
                              out.key("EncryptionType");
                              out.string("NONE");
                              out.end_object();
                            },
                            160});
      });
  if (!put) respond(from_failure(put.error()));
}

}  // namespace
}  // namespace put_record_action

const action put_record{"PutRecord", &put_record_action::request, false,
                        &put_record_action::handle};

}  // namespace spate::api::actions
