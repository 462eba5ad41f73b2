// MergeShards: closes two adjacent shards and opens one child covering both hash ranges.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace merge_shards_action {
namespace {

const shape request{{
    shard_id_member("ShardToMerge", true),
    shard_id_member("AdjacentShardToMerge", true),
    stream_name_member(),
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  const std::string& first = *get_string(req, "ShardToMerge");
  const std::string& second = *get_string(req, "AdjacentShardToMerge");
  const auto a = kinesis::lenient_shard_index(first);
  if (!a) return respond(shard_not_parsed(ctx, first, *name));
  const auto b = kinesis::lenient_shard_index(second);
  if (!b) return respond(shard_not_parsed(ctx, second, *name));
  if (auto e = require_provisioned(ctx, *name)) return respond(*e);
  auto merged = ctx.engine.merge_shards(*name, *a, *b);
  if (!merged) return respond(from_failure(merged.error()));
  respond(no_content());
}

}  // namespace
}  // namespace merge_shards_action

const action merge_shards{"MergeShards", &merge_shards_action::request, true,
                          &merge_shards_action::handle};

}  // namespace spate::api::actions
