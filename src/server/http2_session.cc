// http2_session: nghttp2 callbacks -> router -> nghttp2 responses, on one I/O thread.
#include "server/http2_session.h"

#include "api/errors.h"
#include "common/ascii.h"
#include "common/log.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <utility>

namespace spate::server {
namespace {

constexpr std::size_t read_chunk = 64u << 10;
constexpr std::size_t write_batch = 256u << 10;  // bytes gathered from nghttp2 per write
constexpr std::size_t push_chunk = 256u << 10;   // event-stream bytes pulled at once
constexpr auto push_budget_retry = std::chrono::milliseconds(20);  // the budget had no room
constexpr auto stop_grace = std::chrono::seconds(2);

// Headers that HTTP/2 forbids (connection-specific; RFC 9113 section 8.2.2).
bool connection_specific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

template <class Stream>
struct http2_session<Stream>::exchange {
  exchange(std::int32_t stream_id, session_executor ex)
      : id(stream_id), wake_timer(ex), stall_timer(ex) {}
  ~exchange() {
    if (subscriber_stats)
      subscriber_stats->subscriber_closed(metrics::subscriber_kind::event_stream);
  }

  std::int32_t id;
  request req;
  std::string method, path, authority;
  std::size_t header_bytes = 0;
  bool header_too_large = false;
  bool body_too_large = false;
  bool complete = false;  // END_STREAM arrived: the request is whole
  bool reset = false;     // we reset the stream; nghttp2 closes it once the RST is out
  bool refused = false;   // answered before its body: the rest of the body is dropped
  // The body is taken in, against `budget`: set once the router admitted the request and its
  // reservation was made, cleared whenever the rest of the body is to be dropped. Any request
  // that never got that far (header list too large, body too large, refused) drops its body.
  bool taking_body = false;
  // The request body's share of the request budget, then the answer's of the response budget.
  memory_budget::reservation budget;
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  std::size_t held = 0;  // the answer's bytes, counted in the session's held_bytes_
  // The answer's body, or the pushed bytes pulled but not yet sent.
  std::string body;
  std::size_t sent = 0;
  // Of the pushed messages of new records in `body`, where each ends and the wake-up that
  // announced them: the delay is recorded once nghttp2 has taken the message's last byte.
  std::deque<std::pair<std::size_t, std::chrono::steady_clock::time_point>> woken_ends;
  std::shared_ptr<api::push_source> push;  // a pushed answer, until it finishes or stops
  net::steady_timer wake_timer;            // a deferred push waits for its deadline here
  net::steady_timer stall_timer;           // a push whose reader's window stays shut
  std::chrono::steady_clock::time_point last_taken = std::chrono::steady_clock::now();
  metrics* subscriber_stats = nullptr;  // set while this exchange counts as a subscriber
};

template <class Stream>
http2_session<Stream>::http2_session(Stream&& stream, router& router, idle_connections& idle,
                                     const session_limits& limits)
    : stream_(std::move(stream)),
      router_(router),
      idle_(idle),
      limits_(limits),
      read_buffer_(read_chunk),
      idle_timer_(stream_.get_executor()),
      request_timer_(stream_.get_executor()),
      write_timer_(stream_.get_executor()) {
  router_.stats().connection_opened();
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &on_frame_send);
  nghttp2_session* session = nullptr;
  nghttp2_session_server_new(&session, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  h2_.reset(session);
}

template <class Stream>
http2_session<Stream>::~http2_session() {
  exchanges_.clear();  // before the nghttp2 session, whose callbacks they never run again
  router_.stats().connection_closed();
}

template <class Stream>
void http2_session<Stream>::start() {
  net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_never();  // this session keeps its own timers
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(stream_window)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, max_header_list_bytes},
    };
    nghttp2_submit_settings(self->h2_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
    nghttp2_session_set_local_window_size(self->h2_.get(), NGHTTP2_FLAG_NONE, 0, connection_window);
    self->arm_idle_timer();
    self->do_write();
    self->do_read();
  });
}

template <class Stream>
void http2_session<Stream>::evict() {
  net::post(stream_.get_executor(), [self = this->shared_from_this()] {
    if (self->closed_ || self->stopping_ || !self->exchanges_.empty()) return;
    self->idle_token_.reset();
    nghttp2_session_terminate_session(self->h2_.get(), NGHTTP2_NO_ERROR);
    self->do_write();
  });
}

template <class Stream>
void http2_session<Stream>::stop() {
  net::post(stream_.get_executor(), [self = this->shared_from_this()] {
    if (self->closed_ || self->stopping_) return;
    self->stopping_ = true;
    // No new streams; those already begun are answered. Pushed answers end now (their sources
    // hold engine resources that must go before the engine closes).
    nghttp2_submit_goaway(self->h2_.get(), NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(self->h2_.get()),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    for (auto& [id, x] : self->exchanges_) {
      if (x->push) {
        x->push.reset();
        nghttp2_session_resume_data(self->h2_.get(), id);
      }
    }
    auto grace = std::make_shared<net::steady_timer>(self->stream_.get_executor(), stop_grace);
    grace->async_wait([self, grace](beast::error_code) { self->close(); });
    self->do_write();
  });
}

// --- nghttp2 callbacks -------------------------------------------------------------------

template <class Stream>
int http2_session<Stream>::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame,
                                            void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const std::int32_t id = frame->hd.stream_id;
  // Over the connection's budget (requests still with the router, answers not yet written,
  // bodies arriving): the stream is refused, which a client may retry (RFC 9113 8.7). Reading
  // goes on, so WINDOW_UPDATEs and the answers that free the budget keep flowing.
  if (self.routed_ >= max_streams ||
      self.routed_bytes_ + self.held_bytes_ + self.arriving_bytes_ >= self.limits_.pipeline_bytes) {
    nghttp2_submit_rst_stream(self.h2_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  self.exchanges_[id] = std::make_unique<exchange>(id, self.stream_.get_executor());
  self.idle_timer_.cancel();
  self.idle_token_.reset();
  self.watch_request_deadlines();
  return 0;
}

template <class Stream>
int http2_session<Stream>::on_header(nghttp2_session*, const nghttp2_frame* frame,
                                     const std::uint8_t* name, std::size_t name_len,
                                     const std::uint8_t* value, std::size_t value_len, std::uint8_t,
                                     void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  exchange* x = self.find(frame->hd.stream_id);
  if (!x) return 0;
  x->header_bytes += name_len + value_len + 32;  // as SETTINGS_MAX_HEADER_LIST_SIZE counts
  if (x->header_bytes > max_header_list_bytes) {
    x->header_too_large = true;
    return 0;
  }
  const auto n = as_view(name, name_len);
  const auto v = as_view(value, value_len);
  if (n == ":method") {
    x->method = v;
  } else if (n == ":path") {
    x->path = v;
  } else if (n == ":authority") {
    // Kept as a field as well: HTTP/2 clients (the JS SDK v3) sign ":authority" in place of
    // Host, and the signature check must find it by that name.
    x->authority = v;
    x->req.insert(n, v);
  } else if (!n.starts_with(':')) {
    x->req.insert(n, v);
  }
  return 0;
}

template <class Stream>
int http2_session<Stream>::on_data_chunk(nghttp2_session* session, std::uint8_t,
                                         std::int32_t stream_id, const std::uint8_t* data,
                                         std::size_t len, void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  exchange* x = self.find(stream_id);
  if (!x || !x->taking_body) return 0;
  std::string& body = x->req.body();
  if (body.size() + len > self.limits_.body_limit) {
    // Too large: the rest is dropped and the request answered 413 once it ends.
    x->body_too_large = true;
    x->taking_body = false;
    self.arriving_bytes_ -= body.size();
    std::string().swap(body);
    x->budget.release();
    return 0;
  }
  if (self.arriving_bytes_ + len > 2 * self.limits_.pipeline_bytes) {
    self.arriving_bytes_ -= body.size();
    std::string().swap(body);
    x->budget.release();
    x->taking_body = false;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_ENHANCE_YOUR_CALM);
    return 0;
  }
  // A body longer than its reservation (no content-length was given) grows it first; when
  // the request budget has no more, the request is answered 503 and its body dropped.
  const std::size_t need = body.size() + len;
  if (need > x->budget.bytes() &&
      !x->budget.grow(std::max(need - x->budget.bytes(), body_granule))) {
    self.arriving_bytes_ -= body.size();
    std::string().swap(body);
    x->budget.release();
    self.router_.stats().request_done({}, true, 0);
    self.refuse(*x, self.router_.body_refused(x->req));
    return 0;
  }
  body.append(reinterpret_cast<const char*>(data), len);
  self.arriving_bytes_ += len;
  return 0;
}

template <class Stream>
int http2_session<Stream>::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame,
                                         void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  exchange* x = self.find(frame->hd.stream_id);
  if (!x) return 0;
  const bool ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self.header_complete(*x, ends);
  }
  if (ends && !x->complete) self.request_complete(*x);
  return 0;
}

// Once our whole answer to a refused request is out while its body is still coming, the
// client is told to stop sending it (RFC 9113 section 8.1: RST_STREAM with NO_ERROR).
template <class Stream>
int http2_session<Stream>::on_frame_send(nghttp2_session* session, const nghttp2_frame* frame,
                                         void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  exchange* x = self.find(frame->hd.stream_id);
  if (x && x->refused && !x->complete && !x->reset) {
    x->reset = true;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, x->id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

template <class Stream>
int http2_session<Stream>::on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t,
                                           void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  auto it = self.exchanges_.find(stream_id);
  if (it == self.exchanges_.end()) return 0;
  exchange& x = *it->second;
  if (!x.complete) self.arriving_bytes_ -= x.req.body().size();
  self.held_bytes_ -= x.held;
  self.exchanges_.erase(it);
  if (self.exchanges_.empty()) self.arm_idle_timer();
  return 0;
}

template <class Stream>
ssize_t http2_session<Stream>::read_body(nghttp2_session*, std::int32_t stream_id,
                                         std::uint8_t* buf, std::size_t length,
                                         std::uint32_t* data_flags, nghttp2_data_source*,
                                         void* user_data) {
  auto& self = *static_cast<http2_session*>(user_data);
  exchange* x = self.find(stream_id);
  if (!x) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (x->subscriber_stats) return self.pull_pushed(*x, buf, length, data_flags);
  const std::size_t n = std::min(length, x->body.size() - x->sent);
  std::memcpy(buf, x->body.data() + x->sent, n);
  x->sent += n;
  if (x->sent == x->body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// --- requests and answers ----------------------------------------------------------------

template <class Stream>
typename http2_session<Stream>::exchange* http2_session<Stream>::find(std::int32_t stream_id) {
  auto it = exchanges_.find(stream_id);
  return it == exchanges_.end() ? nullptr : it->second.get();
}

// The request's header is whole: it becomes a beast request header, and the router decides,
// before any of the body is taken in, whether it goes on (with its body's reservation).
template <class Stream>
void http2_session<Stream>::header_complete(exchange& x, bool ends_stream) {
  request& req = x.req;
  const auto verb = http::string_to_verb(x.method);
  if (verb == http::verb::unknown) {
    req.method_string(x.method);
  } else {
    req.method(verb);
  }
  req.target(x.path);
  req.version(11);
  if (!x.authority.empty() && req.find(http::field::host) == req.end()) {
    req.set(http::field::host, x.authority);
  }
  if (x.header_too_large) return;  // answered 431 once the request ends
  std::optional<std::uint64_t> length;
  if (ends_stream) {
    length = 0;
  } else if (const auto declared = req.find(http::field::content_length); declared != req.end()) {
    // nghttp2 has checked it is a number and will hold the DATA to it.
    std::uint64_t n = 0;
    const auto text = declared->value();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) length = n;
  }
  if (length && *length > limits_.body_limit) {
    x.body_too_large = true;  // answered 413 once the request ends; nothing is held
    return;
  }
  auto verdict = router_.check_header(req, !(length && *length == 0));
  if (verdict.refusal) return refuse(x, std::move(*verdict.refusal));
  auto reserved = router_.reserve_body(req, length);
  if (auto* refused = std::get_if<response>(&reserved)) return refuse(x, std::move(*refused));
  x.budget = std::move(std::get<memory_budget::reservation>(reserved));
  x.taking_body = true;
}

// Answers a request before (the rest of) its body; what still arrives of it is dropped.
template <class Stream>
void http2_session<Stream>::refuse(exchange& x, response res) {
  x.refused = true;
  x.taking_body = false;
  answer_now(x, std::move(res));
}

// An answer the session makes itself (a refusal, an error), held and charged as any answer.
template <class Stream>
void http2_session<Stream>::answer_now(exchange& x, response res) {
  held_bytes_ -= x.held;
  x.body = std::move(res.body());
  x.held = x.body.size();
  held_bytes_ += x.held;
  x.budget = router_.memory().responses.charge(x.held);
  submit(x, res, true);
}

template <class Stream>
void http2_session<Stream>::request_complete(exchange& x) {
  x.complete = true;
  const std::size_t size = x.req.body().size();
  arriving_bytes_ -= size;
  if (x.refused) return;  // answered already
  if (x.header_too_large) {
    return answer_error(x, 431, "SerializationException", "Request headers exceed the limit.");
  }
  if (x.body_too_large) {
    return answer_error(
        x, 413, "SerializationException",
        "Request body exceeds the limit of " + std::to_string(limits_.body_limit) + " bytes.");
  }
  // A request counts against the budget until its answer is back, even if the client resets
  // its stream meanwhile: resets cannot pile up work in the router.
  ++routed_;
  routed_bytes_ += size;
  std::weak_ptr<http2_session> weak = this->shared_from_this();
  const std::int32_t id = x.id;
  router_.route(std::move(x.req), stream_.get_executor(),
                [weak, id, size, ex = stream_.get_executor()](router::response_fn make) {
                  // Answers are submitted from a fresh handler, never from inside an nghttp2
                  // callback.
                  net::post(ex, [weak, id, size, make = std::move(make)] {
                    auto self = weak.lock();
                    if (!self) return;
                    --self->routed_;
                    self->routed_bytes_ -= size;
                    self->answer(id, make());
                  });
                });
}

template <class Stream>
void http2_session<Stream>::answer(std::int32_t stream_id, router::routed routed) {
  exchange* x = find(stream_id);
  if (!x || closed_) return;  // the client reset the stream meanwhile
  if (routed.push && stopping_) {
    // A pushed answer that would start after stop() never will (as on HTTP/1.1).
    routed.push.reset();
    routed.res.result(http::status::service_unavailable);
  }
  held_bytes_ -= x->held;
  x->body = std::move(routed.res.body());
  x->held = x->body.size();
  held_bytes_ += x->held;
  x->budget = std::move(routed.held);  // the request's body is gone; the answer's bytes count
  if (routed.push) {
    x->push = std::move(routed.push);
    x->subscriber_stats = &router_.stats();
    x->subscriber_stats->subscriber_opened(metrics::subscriber_kind::event_stream);
    // Wake-ups come from any thread; they fold into one resume on this one.
    auto posted = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<http2_session> weak = this->shared_from_this();
    x->push->set_waker([weak, posted, stream_id, ex = stream_.get_executor()] {
      if (posted->exchange(true, std::memory_order_acq_rel)) return;
      net::post(ex, [weak, posted, stream_id] {
        posted->store(false, std::memory_order_release);
        if (auto self = weak.lock()) self->resume(stream_id);
      });
    });
    watch_push_progress(stream_id);
  }
  submit(*x, routed.res, x->subscriber_stats || !x->body.empty());
  do_write();
}

template <class Stream>
void http2_session<Stream>::answer_error(exchange& x, unsigned status, std::string type,
                                         std::string message) {
  api::api_error e{std::move(type), std::move(message), status, "Message"};
  response res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "spated");
  auto encoded = api::encode_error(e, x.req[http::field::content_type]);
  res.set(http::field::content_type, encoded.content_type);
  res.body() = std::move(encoded.body);
  res.prepare_payload();
  answer_now(x, std::move(res));
}

template <class Stream>
void http2_session<Stream>::submit(exchange& x, const response& res, bool with_body) {
  const std::string status = std::to_string(res.result_int());
  std::vector<std::pair<std::string, std::string_view>> fields;
  fields.reserve(16);
  for (const auto& field : res) {
    std::string name = ascii::lowercase(field.name_string());
    if (connection_specific(name) || (x.subscriber_stats && name == "content-length")) continue;
    fields.emplace_back(std::move(name), field.value());
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(fields.size() + 1);
  auto add = [&nv](std::string_view n, std::string_view v) {
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                  NGHTTP2_NV_FLAG_NONE});  // nghttp2 copies names and values
  };
  add(":status", status);
  for (const auto& [name, value] : fields) add(name, value);
  nghttp2_data_provider provider{};
  provider.read_callback = &read_body;
  nghttp2_submit_response(h2_.get(), x.id, nv.data(), nv.size(), with_body ? &provider : nullptr);
}

// Hands nghttp2 pushed bytes as flow control allows; defers when the source is idle, until
// its waker or deadline resumes the stream.
template <class Stream>
ssize_t http2_session<Stream>::pull_pushed(exchange& x, std::uint8_t* buf, std::size_t length,
                                           std::uint32_t* data_flags) {
  if (x.sent == x.body.size()) {
    std::string().swap(x.body);  // its memory goes back with the reservation
    x.budget.release();
    x.sent = 0;
    bool budget_short = false;
    if (x.push) {
      // The pulled bytes count against the subscribers budget until they are sent.
      if (auto room =
              router_.memory().subscribers.try_reserve(push_chunk + max_pushed_message_bytes)) {
        auto status = api::push_source::status::idle;
        while (x.body.size() < push_chunk) {
          // read_body copies each DATA frame's bytes out of one buffer: the parts are joined.
          api::pushed_message next;
          status = x.push->pull(next);
          if (status != api::push_source::status::message) break;
          next.append_to(x.body);
          if (next.woken_at) x.woken_ends.emplace_back(x.body.size(), *next.woken_at);
        }
        if (status == api::push_source::status::finished) x.push.reset();
        room->shrink_to(x.body.capacity());
        x.budget = std::move(*room);
      } else {
        budget_short = true;
      }
    }
    if (x.body.empty()) {
      if (!x.push) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
      }
      std::weak_ptr<http2_session> weak = this->shared_from_this();
      x.wake_timer.expires_at(budget_short ? std::chrono::steady_clock::now() + push_budget_retry
                                           : x.push->deadline());
      x.wake_timer.async_wait([weak, id = x.id](beast::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->resume(id);
      });
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  const std::size_t n = std::min(length, x.body.size() - x.sent);
  std::memcpy(buf, x.body.data() + x.sent, n);
  x.sent += n;
  x.last_taken = std::chrono::steady_clock::now();
  // nghttp2 takes a DATA frame's bytes as it writes the frame, once the flow-control windows
  // let it: a message whose last byte is taken is on its way.
  while (!x.woken_ends.empty() && x.woken_ends.front().first <= x.sent) {
    x.subscriber_stats->pushed(x.last_taken - x.woken_ends.front().second);
    x.woken_ends.pop_front();
  }
  if (x.sent == x.body.size() && !x.push) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// A pushed stream whose reader keeps its flow-control window shut takes nothing; after
// push_write_timeout of that it is reset, releasing its source, as HTTP/1.1 cuts off a reader
// that takes nothing.
template <class Stream>
void http2_session<Stream>::watch_push_progress(std::int32_t stream_id) {
  exchange* x = find(stream_id);
  if (!x || closed_) return;
  std::weak_ptr<http2_session> weak = this->shared_from_this();
  x->stall_timer.expires_after(limits_.push_write_timeout);
  x->stall_timer.async_wait([weak, stream_id](beast::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_) return;
    exchange* x = self->find(stream_id);
    if (!x) return;
    nghttp2_session* h2 = self->h2_.get();
    const bool window_shut = nghttp2_session_get_stream_remote_window_size(h2, stream_id) <= 0 ||
                             nghttp2_session_get_remote_window_size(h2) <= 0;
    const auto idle = std::chrono::steady_clock::now() - x->last_taken;
    if (window_shut && idle >= self->limits_.push_write_timeout) {
      x->reset = true;
      x->push.reset();
      nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      self->do_write();
      return;
    }
    self->watch_push_progress(stream_id);
  });
}

template <class Stream>
void http2_session<Stream>::resume(std::int32_t stream_id) {
  if (closed_ || !find(stream_id)) return;
  nghttp2_session_resume_data(h2_.get(), stream_id);
  do_write();
}

// A request must arrive whole within read_timeout of its first frame.
template <class Stream>
void http2_session<Stream>::watch_request_deadlines() {
  if (request_timer_armed_ || closed_) return;
  auto earliest = std::chrono::steady_clock::time_point::max();
  for (const auto& [id, x] : exchanges_) {
    if (!x->complete && !x->reset) earliest = std::min(earliest, x->began + limits_.read_timeout);
  }
  if (earliest == std::chrono::steady_clock::time_point::max()) return;
  request_timer_armed_ = true;
  request_timer_.expires_at(earliest);
  std::weak_ptr<http2_session> weak = this->shared_from_this();
  request_timer_.async_wait([weak](beast::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->request_timer_armed_ = false;
    if (ec || self->closed_) return;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [id, x] : self->exchanges_) {
      if (!x->complete && !x->reset && x->began + self->limits_.read_timeout <= now) {
        x->reset = true;
        nghttp2_submit_rst_stream(self->h2_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      }
    }
    self->do_write();
    self->watch_request_deadlines();
  });
}

// A connection without streams may idle for idle_timeout; then it is told GOAWAY and closed.
template <class Stream>
void http2_session<Stream>::arm_idle_timer() {
  if (closed_) return;
  idle_token_ = idle_.enter(this->weak_from_this());
  idle_timer_.expires_after(limits_.idle_timeout);
  std::weak_ptr<http2_session> weak = this->shared_from_this();
  idle_timer_.async_wait([weak](beast::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_ || !self->exchanges_.empty()) return;
    nghttp2_session_terminate_session(self->h2_.get(), NGHTTP2_NO_ERROR);
    self->do_write();
  });
}

// --- the socket --------------------------------------------------------------------------

template <class Stream>
void http2_session<Stream>::do_read() {
  if (reading_ || closed_) return;
  if (!nghttp2_session_want_read(h2_.get())) {
    if (!writing_ && !nghttp2_session_want_write(h2_.get())) close();
    return;
  }
  reading_ = true;
  stream_.async_read_some(net::buffer(read_buffer_),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

template <class Stream>
void http2_session<Stream>::on_read(beast::error_code ec, std::size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (ec) return close();  // the peer went away: nothing owed can reach it
  const ssize_t used = nghttp2_session_mem_recv(h2_.get(), read_buffer_.data(), bytes);
  if (used < 0) {
    log::debug("HTTP/2 connection dropped: {}", nghttp2_strerror(static_cast<int>(used)));
    return close();
  }
  do_write();
  do_read();
}

template <class Stream>
void http2_session<Stream>::do_write() {
  if (writing_ || closed_) return;
  write_buffer_.clear();
  while (write_buffer_.size() < write_batch) {
    const std::uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(h2_.get(), &data);
    if (n < 0) return close();
    if (n == 0) break;
    write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  if (write_buffer_.empty()) {
    if (!nghttp2_session_want_read(h2_.get()) && !nghttp2_session_want_write(h2_.get())) close();
    return;
  }
  writing_ = true;
  // A peer that stops taking bytes is cut off, as on HTTP/1.1.
  write_timer_.expires_after(limits_.push_write_timeout);
  write_timer_.async_wait([weak = std::weak_ptr(this->shared_from_this())](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec && self->writing_) self->close();
  });
  net::async_write(stream_, net::buffer(write_buffer_),
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     self->writing_ = false;
                     self->write_timer_.cancel();
                     if (ec) return self->close();
                     self->do_write();
                     self->do_read();
                   });
}

template <class Stream>
void http2_session<Stream>::close() {
  if (closed_) return;
  closed_ = true;
  idle_token_.reset();
  idle_timer_.cancel();
  request_timer_.cancel();
  write_timer_.cancel();
  exchanges_.clear();  // releases pushed answers' sources at once
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream_).close();
}

template class http2_session<session_stream>;
template class http2_session<tls_stream>;

}  // namespace spate::server
