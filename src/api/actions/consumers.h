// consumers: what the enhanced fan-out actions share: the consumer members of their shapes,
// finding the consumer a request names, and a consumer's description.
#pragma once

#include "api/action.h"

#include <variant>

namespace spate::api::actions {

member consumer_name_member(bool required);
member consumer_arn_member(bool required);

// The request of DescribeStreamConsumer and DeregisterStreamConsumer: StreamARN, ConsumerName,
// ConsumerARN, all optional (requested_consumer() checks which are given).
extern const shape consumer_lookup_request;

// The consumer named by ConsumerARN, or by StreamARN + ConsumerName (all three may be given
// if they agree), for DescribeStreamConsumer and DeregisterStreamConsumer.
std::variant<engine::consumer_key, api_error> requested_consumer(action_context& ctx,
                                                                 const value& request);

// {ConsumerName, ConsumerARN, ConsumerStatus, ConsumerCreationTimestamp}
value consumer_description(const metadata::consumer_record& c);

}  // namespace spate::api::actions
