// dispatcher: one Kinesis HTTP request in, one HTTP response out. It checks the envelope
// (X-Amz-Target, Content-Type, body) as AWS does, decodes the body in the codec its
// Content-Type names (wire_codec.h: JSON 1.1 or CBOR 1.1), runs schema checks, finds the
// action in the one dispatch table (actions/actions.cc) and hands back its reply, to be
// encoded (in the request's codec, errors included) by the caller on the connection's own
// thread.
//
// Thread safety: handle() may be called from any thread. Control-plane actions are handed to
// `run_control` (the server runs them on a thread that may block on disk); the others run on
// the caller's thread. `done` is called exactly once, on whichever thread finished the work
// (possibly the group committer's), so it should only hand the encode_fn to its own thread.
#pragma once

#include "api/action.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spate::api {

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/x-amz-json-1.1";
  std::string body;
  std::string_view action;  // the action's name, or "" when none was identified
  bool error = false;
  std::shared_ptr<push_source> push;  // set for a pushed answer: the body is its messages
  // The response budget's grant the action took for this answer (body_writer::reserved),
  // resized to the body; null when the action took none.
  std::shared_ptr<memory_budget::reservation> reserved;
};

class dispatcher {
 public:
  // Produces the encoded reply; called by whoever sends it, on the thread that sends it.
  using encode_fn = std::function<http_reply()>;

  dispatcher(engine::engine& engine, traffic_observer& traffic, task_runner run_control,
             push_limits push = {}, memory_budget* responses = nullptr,
             reader_registry* readers = nullptr, shared_batches* shared_pages = nullptr);
  action_context& context() { return ctx_; }

  void handle(std::string_view target, std::string_view content_type, std::string_view body,
              std::function<void(encode_fn)> done);

  // The envelope checks that need no body (a Content-Type Kinesis does not accept): the
  // answer AWS gives, or nullopt. handle() runs them first; the server also runs them as soon
  // as a request's header arrives, so such a request's body is never held. A request without
  // a body (`body_expected` false) passes: AWS answers it 400 in CBOR whatever its
  // Content-Type (handle() does, once the empty body is in).
  static std::optional<http_reply> check_envelope(std::string_view target,
                                                  std::string_view content_type,
                                                  bool body_expected);

  // Every action name, in table order (metrics use it to pre-create series).
  static std::vector<std::string_view> action_names();

 private:
  shared_batches own_batches_;  // unless the owner gives its own; before ctx_, which points at one
  action_context ctx_;
  task_runner run_control_;
};

}  // namespace spate::api
