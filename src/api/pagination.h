// pagination: the NextToken strings of ListStreams, ListShards and ListStreamConsumers. A token
// is sealed with the server secret (engine/shard_iterator.h), names the action it belongs to,
// and carries the issue time (the actions refuse tokens older than the engine's
// next_token_ttl_ms, `--next-token-ttl-ms`: 300 s, as on AWS) and the fields needed to resume.
#pragma once

#include "api/errors.h"
#include "engine/secret.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spate::api {

struct action_context;

struct page_token {
  std::int64_t issued_ms = 0;
  std::vector<std::string> fields;
};

std::string make_page_token(const engine::secret& key, std::string_view action,
                            const std::vector<std::string>& fields);
// nullopt if the token was not made by this server for `action`.
std::optional<page_token> parse_page_token(const engine::secret& key, std::string_view action,
                                           std::string_view token);

// A NextToken as the List actions take it: its fields when this server made it for `action`
// with `fields` of them (the first equal to `first_field`, if given), else InvalidArgument
// "NextToken is improperly formatted."; ExpiredNextTokenException once it is older than the
// engine's next_token_ttl_ms.
std::variant<std::vector<std::string>, api_error> open_page_token(
    action_context& ctx, std::string_view action, std::string_view token, std::size_t fields,
    std::optional<std::string_view> first_field = std::nullopt);

}  // namespace spate::api
