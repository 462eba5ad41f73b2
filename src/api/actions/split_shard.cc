// SplitShard: closes a shard and opens two children that divide its hash range at
// NewStartingHashKey.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace split_shard_action {
namespace {

const shape request{{
    {.name = "NewStartingHashKey", .required = true, .matches = pattern::hash_key},
    stream_name_member(),
    shard_id_member("ShardToSplit", true),
    stream_arn_member(),
}};

void handle(action_context& ctx, value& req, responder respond) {
  api_error error;
  auto name = resolve_stream(ctx, req, error);
  if (!name) return respond(error);
  const std::string& shard = *get_string(req, "ShardToSplit");
  const auto index = kinesis::lenient_shard_index(shard);
  if (!index) return respond(shard_not_parsed(ctx, shard, *name));
  if (auto e = require_provisioned(ctx, *name)) return respond(*e);
  const std::string& key_text = *get_string(req, "NewStartingHashKey");
  const auto key = parse_uint128(key_text);
  if (!key) {
    return respond(from_violation(kinesis::split_key_outside_key_space(key_text)));
  }
  auto split = ctx.engine.split_shard(*name, *index, *key);
  if (!split) return respond(from_failure(split.error()));
  respond(no_content());
}

}  // namespace
}  // namespace split_shard_action

const action split_shard{"SplitShard", &split_shard_action::request, true,
                         &split_shard_action::handle};

}  // namespace spate::api::actions
