// pagination: token layout "action \n issued_ms \n field \n field ...", sealed.
#include "api/pagination.h"

#include "api/action.h"
#include "common/clock.h"
#include "engine/shard_iterator.h"

#include <charconv>

namespace spate::api {

std::string make_page_token(const engine::secret& key, std::string_view action,
                            const std::vector<std::string>& fields) {
  std::string payload(action);
  payload += '\n';
  payload += std::to_string(now_ms());
  for (const auto& f : fields) {
    payload += '\n';
    payload += f;
  }
  return engine::seal(key, payload);
}

std::optional<page_token> parse_page_token(const engine::secret& key, std::string_view action,
                                           std::string_view token) {
  auto payload = engine::unseal(key, token);
  if (!payload) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    const auto nl = payload->find('\n', at);
    parts.push_back(payload->substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  if (parts.size() < 2 || parts[0] != action) return std::nullopt;
  page_token out;
  const auto& t = parts[1];
  if (std::from_chars(t.data(), t.data() + t.size(), out.issued_ms).ec != std::errc()) {
    return std::nullopt;
  }
  out.fields.assign(parts.begin() + 2, parts.end());
  return out;
}

std::variant<std::vector<std::string>, api_error> open_page_token(
    action_context& ctx, std::string_view action, std::string_view token, std::size_t fields,
    std::optional<std::string_view> first_field) {
  auto parsed = parse_page_token(ctx.engine.key(), action, token);
  if (!parsed || parsed->fields.size() != fields ||
      (first_field && parsed->fields[0] != *first_field)) {
    return from_violation(kinesis::next_token_malformed());
  }
  if (now_ms() - parsed->issued_ms > ctx.engine.options().next_token_ttl_ms) {
    return from_violation(kinesis::next_token_expired());
  }
  return std::move(parsed->fields);
}

}  // namespace spate::api
