// tags: shared pieces of the tagging actions.
#include "api/actions/tags.h"

#include "api/actions/common.h"

namespace spate::api::actions {

member tags_member() {
  return {.name = "Tags",
          .type = member_type::map,
          .required = true,
          .min_length = 1,
          .max_length = 200};
}

member tag_keys_member() {
  return {.name = "TagKeys",
          .type = member_type::list,
          .required = true,
          .min_length = 1,
          .max_length = 50};
}

member resource_arn_member() {
  return {.name = "ResourceARN",
          .required = true,
          .min_length = 1,
          .max_length = 2048,
          .matches = pattern::resource_arn};
}

void add_tags(action_context& ctx, const std::string& stream, const value& tags,
              responder respond) {
  std::map<std::string, std::string> map;
  std::vector<std::string_view> texts;
  for (const auto& [k, v] : tags.members()) {
    map[k] = v.as_string();
    texts.push_back(k);
    texts.push_back(v.as_string());
  }
  if (auto e = check_tag_characters(texts)) return respond(*e);
  auto added = ctx.engine.add_tags(stream, map);
  if (!added) return respond(from_failure(added.error()));
  respond(no_content());
}

void remove_tags(action_context& ctx, const std::string& stream, const value& keys,
                 responder respond) {
  std::vector<std::string> list;
  std::vector<std::string_view> texts;
  for (const auto& k : keys.items()) {
    list.push_back(k.as_string());
    texts.push_back(k.as_string());
  }
  if (auto e = check_tag_characters(texts)) return respond(*e);
  auto removed = ctx.engine.remove_tags(stream, list);
  if (!removed) return respond(from_failure(removed.error()));
  respond(no_content());
}

std::optional<std::string> stream_of_resource(action_context& ctx, const value& req,
                                              api_error& error) {
  auto name = ctx.engine.stream_name_from_arn(req.find("ResourceARN")->as_string());
  if (!name) {
    error = from_failure(name.error());
    return std::nullopt;
  }
  return std::move(*name);
}

}  // namespace spate::api::actions
