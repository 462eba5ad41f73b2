// CreateStream: a new stream with ShardCount shards (PROVISIONED) or four (ON_DEMAND), tags.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace create_stream_action {
namespace {

const shape mode_details{
    {{.name = "StreamMode", .required = true, .one_of = {"PROVISIONED", "ON_DEMAND"}}}};

const shape request{{
    {.name = "ShardCount",
     .type = member_type::integer,
     .min_value = 1,
     .max_value = kinesis::max_requested_shard_count},
    stream_name_member(true),
    {.name = "StreamModeDetails", .type = member_type::structure, .element = &mode_details},
    {.name = "Tags", .type = member_type::map, .min_length = 1, .max_length = 200},
}};

void handle(action_context& ctx, value& req, responder respond) {
  const std::string& name = *get_string(req, "StreamName");
  auto mode = metadata::stream_mode::provisioned;
  if (const value* details = req.find("StreamModeDetails")) {
    mode = *metadata::parse_stream_mode(details->find("StreamMode")->as_string());
  }
  const auto shard_count = get_integer(req, "ShardCount");
  if (mode == metadata::stream_mode::provisioned && !shard_count) {
    return respond(invalid_argument("ShardCount is required for a stream in PROVISIONED mode."));
  }
  std::map<std::string, std::string> tags;
  std::vector<std::string_view> texts;
  if (const value* t = req.find("Tags")) {
    for (const auto& [k, v] : t->members()) {
      tags[k] = v.as_string();
      texts.push_back(k);
      texts.push_back(v.as_string());
    }
  }
  if (auto e = check_tag_characters(texts)) return respond(*e);
  auto created = ctx.engine.create_stream(name, static_cast<std::uint32_t>(shard_count.value_or(0)),
                                          mode, tags);
  if (!created) return respond(from_failure(created.error()));
  respond(no_content());
}

}  // namespace
}  // namespace create_stream_action

const action create_stream{"CreateStream", &create_stream_action::request, true,
                           &create_stream_action::handle};

}  // namespace spate::api::actions
