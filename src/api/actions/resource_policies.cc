// PutResourcePolicy / GetResourcePolicy / DeleteResourcePolicy: the resource-based policy of a
// stream or of a consumer, named by its ARN. Policies are kept (and returned) as given, not
// enforced: requests are not authorised against them. Putting one checks that the Policy is a
// JSON object; GetResourcePolicy answers "{}" when none is attached; a policy goes with its
// stream or consumer.
#include "api/actions/actions.h"
#include "api/actions/common.h"
#include "api/actions/tags.h"

#include <simdjson.h>

namespace spate::api::actions {
namespace resource_policies_action {
namespace {

const shape put_request{{
    resource_arn_member(),
    {.name = "Policy", .required = true},
}};
const shape arn_request{{resource_arn_member()}};

bool is_json_object(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  return parser.parse(simdjson::padded_string(text)).get(object) == simdjson::SUCCESS;
}

void put(action_context& ctx, value& req, responder respond) {
  const std::string& arn = *get_string(req, "ResourceARN");
  const std::string& policy = *get_string(req, "Policy");
  if (!is_json_object(policy)) {
    return respond(invalid_argument("Policy is not a valid JSON policy document."));
  }
  auto r = ctx.engine.put_resource_policy(arn, policy);
  if (!r) return respond(from_failure(r.error()));
  respond(no_content());
}

void get(action_context& ctx, value& req, responder respond) {
  auto policy = ctx.engine.get_resource_policy(*get_string(req, "ResourceARN"));
  if (!policy) return respond(from_failure(policy.error()));
  respond(value::object().add("Policy", value::string(policy->value_or("{}"))));
}

void remove(action_context& ctx, value& req, responder respond) {
  auto r = ctx.engine.delete_resource_policy(*get_string(req, "ResourceARN"));
  if (!r) return respond(from_failure(r.error()));
  respond(no_content());
}

}  // namespace
}  // namespace resource_policies_action

const action put_resource_policy{"PutResourcePolicy", &resource_policies_action::put_request, true,
                                 &resource_policies_action::put};
const action get_resource_policy{"GetResourcePolicy", &resource_policies_action::arn_request, false,
                                 &resource_policies_action::get};
const action delete_resource_policy{"DeleteResourcePolicy", &resource_policies_action::arn_request,
                                    true, &resource_policies_action::remove};

}  // namespace spate::api::actions
