// DescribeAccountSettings / UpdateAccountSettings: the account's minimum throughput billing
// commitment (ENABLED, DISABLED, ENABLED_UNTIL_EARLIEST_ALLOWED_END), with StartedAt, EndedAt
// and EarliestAllowedEndAt. A commitment lasts at least 24 hours: disabling it earlier
// schedules its end at EarliestAllowedEndAt, and enabling it again before then cancels that.
// It gates UpdateStreamWarmThroughput; nothing is billed.
#include "api/actions/actions.h"
#include "api/actions/common.h"

namespace spate::api::actions {
namespace account_settings_action {
namespace {

const shape commitment_input{
    {{.name = "Status", .required = true, .one_of = {"ENABLED", "DISABLED"}}}};

const shape describe_request{};
const shape update_request{{
    {.name = "MinimumThroughputBillingCommitment",
     .type = member_type::structure,
     .required = true,
     .element = &commitment_input},
}};

value settings_value(const metadata::account_settings& a) {
  value commitment = value::object();
  commitment.add("Status", value::string(a.commitment_status));
  if (a.started_ms) commitment.add("StartedAt", value::timestamp(a.started_ms));
  if (a.ended_ms) commitment.add("EndedAt", value::timestamp(a.ended_ms));
  if (a.earliest_end_ms && a.commitment_status != "DISABLED") {
    commitment.add("EarliestAllowedEndAt", value::timestamp(a.earliest_end_ms));
  }
  return value::object().add("MinimumThroughputBillingCommitment", std::move(commitment));
}

void describe(action_context& ctx, value&, responder respond) {
  respond(settings_value(ctx.engine.account_settings()));
}

void update(action_context& ctx, value& req, responder respond) {
  const bool enable =
      req.find("MinimumThroughputBillingCommitment")->find("Status")->as_string() == "ENABLED";
  auto updated = ctx.engine.update_account_settings(enable);
  if (!updated) return respond(from_failure(updated.error()));
  respond(settings_value(*updated));
}

}  // namespace
}  // namespace account_settings_action

const action describe_account_settings{"DescribeAccountSettings",
                                       &account_settings_action::describe_request, false,
                                       &account_settings_action::describe};
const action update_account_settings{"UpdateAccountSettings",
                                     &account_settings_action::update_request, true,
                                     &account_settings_action::update};

}  // namespace spate::api::actions
