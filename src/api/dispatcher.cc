// dispatcher: envelope checks in AWS's order, then decode -> normalize -> validate -> action.
#include "api/dispatcher.h"

#include "api/actions/actions.h"
#include "api/json_codec.h"
#include "api/json_fast_path.h"

#include <memory>

namespace spate::api {
namespace {

constexpr std::string_view target_prefix = "Kinesis_20131202.";

const action* find_action(std::string_view target) {
  if (!target.starts_with(target_prefix)) return nullptr;
  const auto name = target.substr(target_prefix.size());
  for (const action* a : all_actions()) {
    if (a->name == name) return a;
  }
  return nullptr;
}

std::string_view media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  return t;
}

http_reply error_reply(const api_error& e, std::string_view action_name) {
  return {e.status, "application/x-amz-json-1.1", error_body(e), action_name, true};
}

http_reply encode_reply(reply r, std::string_view action_name) {
  if (auto* e = std::get_if<api_error>(&r)) return error_reply(*e, action_name);
  http_reply out;
  out.action = action_name;
  if (auto* push = std::get_if<push_reply>(&r)) {
    out.content_type = std::string(push->source->content_type());
    out.push = std::move(push->source);
    return out;
  }
  if (auto* writer = std::get_if<body_writer>(&r)) {
    out.body.reserve(writer->size_hint);
    json_encoder encoder(out.body);
    writer->write(encoder);
    return out;
  }
  const value& v = std::get<value>(r);
  if (!(v.is_object() && v.members().empty())) encode_json(v, out.body);
  return out;
}

}  // namespace

dispatcher::dispatcher(engine::engine& engine, traffic_observer& traffic, task_runner run_control,
                       push_limits push)
    : ctx_{engine, traffic, push}, run_control_(std::move(run_control)) {}

std::vector<std::string_view> dispatcher::action_names() {
  std::vector<std::string_view> names;
  for (const action* a : all_actions()) names.push_back(a->name);
  return names;
}

void dispatcher::handle(std::string_view target, std::string_view content_type,
                        std::string_view body, std::function<void(encode_fn)> finished) {
  // Envelope answers are ready at once; action answers are encoded when the caller asks.
  auto done = [&finished](http_reply r) {
    finished([r = std::move(r)]() mutable { return std::move(r); });
  };
  const action* a = find_action(target);
  const std::string_view type = media_type(content_type);
  const bool known_type = type == "application/x-amz-json-1.1" || type == "application/json";
  const bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;

  if (!known_type) {
    if (target.empty() || target.find('.') == std::string_view::npos) {
      done({403,
            "application/xml",
            "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to "
            "be authorized</Message>\n</AccessDeniedException>\n",
            {},
            true});
    } else {
      done({404, "application/xml", "<UnknownOperationException/>\n", {}, true});
    }
    return;
  }
  if (blank) {
    done(error_reply(a ? serialization_error() : unknown_operation(), a ? a->name : ""));
    return;
  }
  auto respond = [a, finished](reply r) {
    finished([a, r = std::make_shared<reply>(std::move(r))] {
      return encode_reply(std::move(*r), a->name);
    });
  };
  if (a == &actions::put_records) {
    // The common producer request skips the value tree; it declines anything unusual.
    if (try_put_records_json(body, ctx_, respond)) return;
  }
  json_error parse_error;
  auto request = decode_json(body, &parse_error);
  if (!request || !request->is_object()) {
    done(error_reply(serialization_error(), a ? a->name : ""));
    return;
  }
  if (!a) {
    done(error_reply(unknown_operation(), ""));
    return;
  }
  if (auto e = normalize(*request, *a->request)) {
    done(error_reply(serialization_error(e->message), a->name));
    return;
  }
  if (auto e = validate(*request, *a->request)) {
    done(error_reply(validation_error(e->message), a->name));
    return;
  }
  auto run = [this, a, request = std::make_shared<value>(std::move(*request)), respond] {
    // The responder keeps the request alive: replies may hold views into it.
    a->handle(ctx_, *request, [request, respond](reply r) { respond(std::move(r)); });
  };
  if (a->control_plane) {
    run_control_(std::move(run));
  } else {
    run();
  }
}

}  // namespace spate::api
