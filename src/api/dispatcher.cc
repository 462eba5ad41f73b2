// dispatcher: envelope checks in AWS's order, then decode -> normalize -> validate -> action,
// each answer (errors included) encoded in the request's wire codec.
#include "api/dispatcher.h"

#include "api/actions/actions.h"
#include "api/cbor_codec.h"
#include "api/cbor_fast_path.h"
#include "api/json_codec.h"
#include "api/json_fast_path.h"

#include <memory>
#include <optional>
#include <string>
#include <variant>

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

http_reply error_reply(const api_error& e, std::string_view action_name, wire_codec codec) {
  return {e.status, std::string(content_type_of(codec)), error_body(e, codec), action_name, true};
}

http_reply encode_reply(reply r, std::string_view action_name, wire_codec codec) {
  if (auto* e = std::get_if<api_error>(&r)) return error_reply(*e, action_name, codec);
  http_reply out;
  out.action = action_name;
  out.content_type = std::string(content_type_of(codec));
  if (auto* push = std::get_if<push_reply>(&r)) {
    push->source->set_codec(codec);
    out.content_type = std::string(push->source->content_type());
    out.push = std::move(push->source);
    return out;
  }
  if (auto* writer = std::get_if<body_writer>(&r)) {
    out.body.reserve(writer->size_hint);
    if (codec == wire_codec::json) {
      json_encoder encoder(out.body);
      writer->write(encoder);
    } else {
      cbor_encoder encoder(out.body);
      writer->write(encoder);
    }
    if (writer->reserved) {
      writer->reserved->resize(out.body.size());
      out.reserved = std::move(writer->reserved);
    }
    return out;
  }
  const value& v = std::get<value>(r);
  if (codec == wire_codec::cbor) {
    // An empty body is no CBOR document: an action without output answers an empty map.
    encode_cbor(v, out.body);
  } else if (!(v.is_object() && v.members().empty())) {
    encode_json(v, out.body);
  }
  return out;
}

// The request body as a value (as much of it as `guide` asks for), or the
// SerializationException to answer.
std::variant<value, api_error> decode_body(std::string_view body, wire_codec codec,
                                           const decode_guide& guide) {
  std::optional<value> request;
  std::string problem;
  if (codec == wire_codec::json) {
    json_error parse_error;
    request = decode_json(body, guide, &parse_error);
  } else {
    cbor_error parse_error;
    request = decode_cbor(body, guide, &parse_error);
    if (!request) problem = parse_error.message();
  }
  if (!request || !request->is_object()) return serialization_error(std::move(problem));
  return std::move(*request);
}

// What an unknown action's body is decoded into: nothing (it is only checked to be a
// well-formed document, for the error AWS gives first).
const shape no_members{};

}  // namespace

dispatcher::dispatcher(engine::engine& engine, traffic_observer& traffic, task_runner run_control,
                       push_limits push, memory_budget* responses, reader_registry* readers,
                       shared_batches* shared_pages)
    : ctx_{engine, traffic, push, responses, readers,
           shared_pages ? shared_pages : &own_batches_},
      run_control_(std::move(run_control)) {}

std::vector<std::string_view> dispatcher::action_names() {
  std::vector<std::string_view> names;
  for (const action* a : all_actions()) names.push_back(a->name);
  return names;
}

std::optional<http_reply> dispatcher::check_envelope(std::string_view target,
                                                     std::string_view content_type,
                                                     bool body_expected) {
  if (!body_expected || codec_for_content_type(content_type)) return std::nullopt;
  // "<service>.<operation>": AWS cannot tell what to authorize when either part is empty.
  const auto dot = target.find('.');
  const auto service = target.substr(0, dot);
  const auto operation =
      dot == std::string_view::npos ? std::string_view() : target.substr(dot + 1);
  if (service.empty() || operation.substr(0, operation.find('.')).empty()) {
    return http_reply{403,
                      "application/xml",
                      "<AccessDeniedException>\n  <Message>Unable to determine service/operation "
                      "name to be authorized</Message>\n</AccessDeniedException>\n",
                      {},
                      true};
  }
  return http_reply{404, "application/xml", "<UnknownOperationException/>\n", {}, true};
}

void dispatcher::handle(std::string_view target, std::string_view content_type,
                        std::string_view body, std::function<void(encode_fn)> finished) {
  // Envelope answers are ready at once; action answers are encoded when the caller asks.
  auto done = [&finished](http_reply r) {
    finished([r = std::move(r)]() mutable { return std::move(r); });
  };
  const action* a = find_action(target);
  if (body.empty()) {
    // AWS answers an empty body before it looks at the Content-Type: in JSON only when that is
    // exactly JSON 1.1, in CBOR otherwise (even for a type it does not take).
    const bool json =
        codec_for_content_type(content_type) == wire_codec::json && !is_plain_json(content_type);
    done(error_reply(a ? serialization_error() : unknown_operation(), a ? a->name : "",
                     json ? wire_codec::json : wire_codec::cbor));
    return;
  }
  if (auto refused = check_envelope(target, content_type, true)) {
    done(std::move(*refused));
    return;
  }
  const wire_codec codec = *codec_for_content_type(content_type);
  // JSON tolerates whitespace around nothing; for CBOR (where ' ' is the integer -1) only an
  // empty body is blank.
  const bool blank = codec == wire_codec::json
                         ? body.find_first_not_of(" \t\r\n") == std::string_view::npos
                         : body.empty();
  if (blank) {
    done(error_reply(a ? serialization_error() : unknown_operation(), a ? a->name : "", codec));
    return;
  }
  auto respond = [a, codec, finished](reply r) {
    finished([a, codec, r = std::make_shared<reply>(std::move(r))] {
      return encode_reply(std::move(*r), a->name, codec);
    });
  };
  if (codec == wire_codec::json && !json_elements_within_bounds(body)) {
    // Far more elements than any Kinesis request holds: refused before parsing (json_codec.h).
    done(error_reply(serialization_error(), a ? a->name : "", codec));
    return;
  }
  if (a == &actions::put_records) {
    // The common producer request skips the value tree; it declines anything unusual.
    if (codec == wire_codec::json ? try_put_records_json(body, ctx_, respond)
                                  : try_put_records_cbor(body, ctx_, respond)) {
      return;
    }
  }
  auto decoded = decode_body(body, codec, decode_guide::object(a ? *a->request : no_members));
  if (auto* e = std::get_if<api_error>(&decoded)) {
    done(error_reply(*e, a ? a->name : "", codec));
    return;
  }
  auto request = std::make_shared<value>(std::move(std::get<value>(decoded)));
  if (!a) {
    done(error_reply(unknown_operation(), "", codec));
    return;
  }
  const auto numbers =
      codec == wire_codec::cbor ? number_time::epoch_millis : number_time::epoch_seconds;
  if (auto e = normalize(*request, *a->request, numbers)) {
    done(error_reply(serialization_error(e->message), a->name, codec));
    return;
  }
  if (auto e = validate(*request, *a->request)) {
    done(error_reply(validation_error(e->message), a->name, codec));
    return;
  }
  auto run = [this, a, request, respond] {
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
