// transport: the client's HTTP/1.1 connections, on Boost.Beast over Asio (plain TCP or
// OpenSSL TLS).
//
// Everything that touches a socket runs as a C++20 coroutine on one background thread, which
// owns the io_context, the idle pool and every connection; callers hand their request over
// with co_spawn and block on the outcome. Because only that thread touches the pool, it needs
// no lock. A streamed response's pieces travel the other way through a `call_state`: the
// coroutine publishes one piece, the calling thread runs the sink on it and posts the answer
// back, and only then is the next piece read, so a slow sink holds back the socket (TCP flow
// control) and never the other calls sharing the transport thread.
//
// Lifetime: the destructor lets calls still in flight finish (their timeouts bound them),
// stops the thread and closes the idle connections. Calling send() from inside a sink (the
// sink runs on the calling thread, so this is allowed) is fine; calling it from the transport
// thread itself is refused.
#include "client/transport.h"

#include "common/ascii.h"
#include "common/thread_name.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <sys/socket.h>
#include <thread>

namespace spate::client::detail {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Completion token for awaiting an operation whose error comes back as a value.
constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

using ascii::iequals;
using ascii::lower;

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// One connection to the endpoint: exactly one of `plain` and `secure` is set.
struct connection {
  explicit connection(const net::any_io_executor& ex) : plain(std::in_place, ex) {}
  connection(const net::any_io_executor& ex, ssl::context& tls) : secure(std::in_place, ex, tls) {}

  beast::tcp_stream& tcp() { return plain ? *plain : secure->next_layer(); }

  void close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  // True if an idle connection still looks usable: nothing buffered and nothing waiting on the
  // socket - neither an end of stream (the server closed it) nor stray bytes.
  bool quiet() {
    if (buffer.size() != 0 || !tcp().socket().is_open()) return false;
    char byte;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  std::optional<beast::tcp_stream> plain;
  std::optional<ssl::stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;  // bytes read past the last response (none, normally)
};

// How often a streaming call with nothing arriving asks its sink whether to keep waiting.
constexpr std::chrono::milliseconds quiet_tick{200};

// One call in flight, shared by the calling thread and the transport thread.
struct call_state {
  explicit call_state(const net::any_io_executor& ex) : acknowledged(ex) {}

  // Sets the call's outcome (the first one wins) and wakes the caller.
  void finish(outcome<http_response> r) {
    {
      std::lock_guard lock(mu);
      if (result) return;
      result.emplace(std::move(r));
    }
    cv.notify_all();
  }

  const body_sink* sink = nullptr;  // null for a plain send()
  std::chrono::milliseconds idle_timeout{0};

  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> piece;              // guarded by mu: published, not yet taken
  std::optional<outcome<http_response>> result;  // guarded by mu: the end of the call

  // Transport thread only: the caller's answer to the last piece.
  net::steady_timer acknowledged;  // waited on (never expiring) until the caller cancels it
  bool keep_going = true;
  // Transport thread only: the caller stopped a quiet stream; cancel_read aborts the read in
  // progress (set only while the streaming loop is reading).
  bool cancel_requested = false;
  std::function<void()> cancel_read;
};

// What one attempt learned about its connection, for the pool and the retry decision.
struct attempt_report {
  bool answered = false;   // some byte of a response arrived
  bool timed_out = false;  // the request timeout (or the idle timeout) ran out
  bool reusable = false;   // the response ended cleanly and the server keeps the connection
};

std::string milliseconds_text(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

// Arms the stream's timer for the operations that follow; zero or less means no limit.
void limit_time(beast::tcp_stream& stream, std::chrono::milliseconds limit) {
  if (limit.count() > 0) {
    stream.expires_after(limit);
  } else {
    stream.expires_never();
  }
}

template <class Fields>
void copy_head(const http::header<false, Fields>& head, http_response& out) {
  out.status = static_cast<int>(head.result_int());
  out.headers.clear();
  for (const auto& field : head) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace

std::string http_response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

outcome<endpoint_url> parse_endpoint(std::string_view url) {
  const auto bad = [url](std::string_view why) {
    return error{error_code::invalid_option,
                 "endpoint \"" + std::string(url) + "\": " + std::string(why), 0};
  };
  const auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad("must be http://host[:port] or https://host[:port]");
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), lower);
  endpoint_url ep;
  if (scheme == "https") {
    ep.tls = true;
  } else if (scheme != "http") {
    return bad("the scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) return bad("no host");
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return bad("only scheme://host[:port] is allowed (no path, query or user)");
  }

  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  bool ipv6 = false;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = rest.substr(1, close - 1);
    ipv6 = true;
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad("unexpected text after ]");
      port = rest.substr(close + 2);
      has_port = true;
    }
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return bad("no host");
  if (!ipv6 && host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address must be in brackets");
  }

  const unsigned default_port = ep.tls ? 443 : 80;
  unsigned port_number = default_port;
  if (has_port) {
    const char* end = port.data() + port.size();
    const auto [ptr, ec] = std::from_chars(port.data(), end, port_number);
    if (port.empty() || ec != std::errc() || ptr != end || port_number == 0 ||
        port_number > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
  }

  ep.host.assign(host);
  std::transform(ep.host.begin(), ep.host.end(), ep.host.begin(), lower);
  ep.port = std::to_string(port_number);
  ep.host_header = ipv6 ? "[" + ep.host + "]" : ep.host;
  if (port_number != default_port) ep.host_header += ":" + ep.port;
  return ep;
}

struct transport::impl {
  impl(endpoint_url ep, const client_options& opts)
      : endpoint(std::move(ep)), options(opts), work(net::make_work_guard(io)) {
    if (endpoint.tls) {
      tls.emplace(ssl::context::tls_client);
      boost::system::error_code ec;
      if (options.verify_tls) {
        tls->set_verify_mode(ssl::verify_peer, ec);
        if (!options.ca_file.empty()) {
          tls->load_verify_file(options.ca_file, ec);
          if (ec) {
            setup_error = error{error_code::invalid_option,
                                "cannot load CA file " + options.ca_file + ": " + ec.message(), 0};
          }
        } else {
          tls->set_default_verify_paths(ec);
        }
      } else {
        tls->set_verify_mode(ssl::verify_none, ec);
      }
    }
    thread = std::thread([this] {
      name_this_thread("spate-http");
      io.run();
    });
  }

  ~impl() {
    work.reset();
    thread.join();
    for (auto& c : idle) c->close();
  }

  std::string where() const { return endpoint.host + ":" + endpoint.port; }

  // --- the calling thread's side -----------------------------------------------------------

  outcome<http_response> call(const http_request& request, const body_sink* sink,
                              std::chrono::milliseconds idle_timeout) {
    if (setup_error) return *setup_error;
    if (closed) return client_closed();
    if (io.get_executor().running_in_this_thread()) {
      return error{error_code::invalid_option,
                   "transport called from its own thread (inside a completion)", 0};
    }
    auto state = std::make_shared<call_state>(io.get_executor());
    state->sink = sink;
    state->idle_timeout = idle_timeout;
    net::co_spawn(io, run(request, state), [state](std::exception_ptr e) {
      if (!e) return;
      std::string what = "unexpected failure";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        what += ": ";
        what += ex.what();
      } catch (...) {
      }
      state->finish(error{error_code::connection, what, 0});
    });

    std::unique_lock lock(state->mu);
    for (;;) {
      const bool arrived =
          sink == nullptr
              ? (state->cv.wait(lock, [&] { return state->piece || state->result; }), true)
              : state->cv.wait_for(lock, quiet_tick, [&] { return state->piece || state->result; });
      if (!arrived) {
        // A quiet stream: ask the sink (empty piece) whether to go on waiting.
        lock.unlock();
        const bool keep_waiting = (*sink)(std::string_view());
        lock.lock();
        if (!keep_waiting) {
          lock.unlock();
          cancel(state);
          lock.lock();
          state->cv.wait(lock, [&] { return state->result.has_value(); });
          return std::move(*state->result);
        }
        continue;
      }
      if (state->result) return std::move(*state->result);
      std::string piece = std::move(*state->piece);
      state->piece.reset();
      lock.unlock();
      bool keep_going = false;
      try {
        keep_going = (*sink)(piece);
      } catch (...) {
        // Stop the stream, wait for the transport to let go of the call, then let the sink's
        // exception continue to whoever called us.
        acknowledge(state, false);
        lock.lock();
        state->cv.wait(lock, [&] { return state->result.has_value(); });
        throw;
      }
      acknowledge(state, keep_going);
      lock.lock();
    }
  }

  // Ends a streaming call the caller no longer wants: aborts the read in progress, or answers
  // a piece published meanwhile with "stop".
  void cancel(const std::shared_ptr<call_state>& state) {
    net::post(io, [state] {
      state->cancel_requested = true;
      state->keep_going = false;
      state->acknowledged.cancel();
      if (state->cancel_read) state->cancel_read();
    });
  }

  // Cuts every connection on the transport thread; a call between two steps sees `closed`
  // before its next one (the handler runs between them, never inside one).
  void close() {
    if (closed.exchange(true)) return;
    net::post(io, [this] {
      for (connection* c : busy) c->close();
      for (auto& c : idle) c->close();
      idle.clear();
    });
  }

  void acknowledge(const std::shared_ptr<call_state>& state, bool keep_going) {
    net::post(io, [state, keep_going] {
      state->keep_going = keep_going;
      state->acknowledged.cancel();
    });
  }

  // --- the transport thread's side ---------------------------------------------------------

  net::awaitable<void> run(const http_request& request, std::shared_ptr<call_state> state) {
    outcome<http_response> r = co_await exchange(request, *state);
    if (!r.ok() && closed) r = client_closed();  // cut by close(), whatever the socket said
    state->finish(std::move(r));
  }

  http::request<http::string_body> to_message(const http_request& request) const {
    http::request<http::string_body> msg;
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      msg.method_string(request.method);
    } else {
      msg.method(verb);
    }
    msg.target(request.target);
    msg.version(11);
    bool has_host = false;
    for (const auto& [name, value] : request.headers) {
      if (iequals(name, "Content-Length")) continue;  // set below from the body
      if (iequals(name, "Host")) has_host = true;
      msg.insert(name, value);
    }
    if (!has_host) msg.set(http::field::host, endpoint.host_header);
    msg.body() = request.body;
    msg.prepare_payload();
    return msg;
  }

  net::awaitable<outcome<http_response>> exchange(const http_request& request, call_state& state) {
    const http::request<http::string_body> msg = to_message(request);
    for (int attempt = 0;; ++attempt) {
      if (closed) co_return client_closed();
      std::unique_ptr<connection> conn = take_idle();
      const bool reused = conn != nullptr;
      if (!conn) {
        outcome<std::unique_ptr<connection>> opened = co_await open();
        if (!opened.ok()) co_return opened.err();
        conn = std::move(opened).value();
      }
      if (closed) {
        conn->close();
        co_return client_closed();
      }
      busy_mark marked(*this, conn.get());
      attempt_report report;
      // (Not a ?: over two co_awaits: GCC 12 miscompiles that.)
      std::optional<outcome<http_response>> attempted;
      if (conn->plain) {
        attempted.emplace(co_await exchange_on(*conn->plain, *conn, msg, state, report));
      } else {
        attempted.emplace(co_await exchange_on(*conn->secure, *conn, msg, state, report));
      }
      outcome<http_response> r = std::move(*attempted);
      if (r.ok() && report.reusable) {
        put_idle(std::move(conn));
      } else {
        conn->close();
      }
      // A kept-alive connection the server has meanwhile closed fails before any answer: the
      // request never reached it, so it goes once more on a new connection.
      if (!r.ok() && reused && !report.answered && !report.timed_out && attempt == 0) continue;
      co_return r;
    }
  }

  template <class Stream>
  net::awaitable<outcome<http_response>> exchange_on(Stream& stream, connection& conn,
                                                     const http::request<http::string_body>& msg,
                                                     call_state& state, attempt_report& report) {
    limit_time(conn.tcp(), options.request_timeout);
    {
      auto [ec, n] = co_await http::async_write(stream, msg, use_nothrow);
      if (ec) co_return failure("send the request to", ec, options.request_timeout, report);
    }
    http_response response;

    if (state.sink == nullptr) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(boost::none);
      parser.skip(msg.method() == http::verb::head);  // a HEAD answer has no body to read
      auto [ec, n] = co_await http::async_read(stream, conn.buffer, parser, use_nothrow);
      report.answered = parser.got_some();
      if (ec) co_return failure("read the response from", ec, options.request_timeout, report);
      copy_head(parser.get().base(), response);
      response.body = std::move(parser.get().body());
      report.reusable = parser.get().keep_alive();
      co_return response;
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    {
      auto [ec, n] = co_await http::async_read_header(stream, conn.buffer, parser, use_nothrow);
      report.answered = parser.got_some();
      if (ec) co_return failure("read the response from", ec, options.request_timeout, report);
    }
    copy_head(parser.get().base(), response);

    if (response.status < 200 || response.status > 299) {
      // An error answer is read whole, under what is left of the request timeout.
      http::response_parser<http::string_body> whole(std::move(parser));
      auto [ec, n] = co_await http::async_read(stream, conn.buffer, whole, use_nothrow);
      if (ec) co_return failure("read the response from", ec, options.request_timeout, report);
      response.body = std::move(whole.get().body());
      report.reusable = whole.get().keep_alive();
      co_return response;
    }

    std::array<char, 64 * 1024> piece;
    // Reads of up to a piece at a time: beast sizes a read by the buffer's capacity, which
    // starts at 512 bytes, and every read is a hand-over to the calling thread.
    conn.buffer.reserve(piece.size());
    struct read_canceller {  // lets cancel() abort the reads below, and only them
      call_state& state;
      ~read_canceller() { state.cancel_read = nullptr; }
    } canceller{state};
    state.cancel_read = [&conn] { conn.tcp().cancel(); };
    while (!parser.is_done()) {
      if (state.cancel_requested) co_return response;
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      limit_time(conn.tcp(), state.idle_timeout);
      auto [ec, n] = co_await http::async_read_some(stream, conn.buffer, parser, use_nothrow);
      if (state.cancel_requested) co_return response;  // not reusable: the read was cut
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return failure("read the response stream from", ec, state.idle_timeout, report);
      const std::size_t got = piece.size() - parser.get().body().size;
      if (got == 0) continue;
      const bool keep_going = co_await deliver(state, std::string(piece.data(), got));
      if (!keep_going) co_return response;
    }
    report.reusable = parser.get().keep_alive();
    co_return response;
  }

  // Hands one piece to the calling thread and waits for its sink's verdict.
  net::awaitable<bool> deliver(call_state& state, std::string piece) {
    state.keep_going = true;
    state.acknowledged.expires_at(net::steady_timer::time_point::max());
    {
      std::lock_guard lock(state.mu);
      state.piece.emplace(std::move(piece));
    }
    state.cv.notify_all();
    // The caller's acknowledge() cancels the wait; nothing else ends it.
    co_await state.acknowledged.async_wait(use_nothrow);
    co_return state.keep_going;
  }

  error failure(std::string_view what, const boost::system::error_code& ec,
                std::chrono::milliseconds limit, attempt_report& report) const {
    if (ec == beast::error::timeout) {
      report.timed_out = true;
      return error{error_code::timeout,
                   "no answer from " + where() + " within " + milliseconds_text(limit), 0};
    }
    const bool http_error =
        ec.category() == http::make_error_code(http::error::end_of_stream).category();
    if (http_error && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return error{error_code::bad_response,
                   "unreadable response from " + where() + ": " + ec.message(), 0};
    }
    std::string message = "cannot " + std::string(what) + " " + where() + ": ";
    message += ec == http::error::end_of_stream ? "the server closed the connection" : ec.message();
    return error{error_code::connection, std::move(message), 0};
  }

  // The endpoint's addresses, within the connect deadline. An address literal needs no lookup.
  net::awaitable<outcome<tcp::resolver::results_type>> resolve(
      net::steady_timer::time_point deadline) {
    boost::system::error_code ec;
    const net::ip::address address = net::ip::make_address(endpoint.host, ec);
    if (!ec) {
      const auto port = static_cast<unsigned short>(std::stoi(endpoint.port));
      co_return tcp::resolver::results_type::create(tcp::endpoint(address, port), endpoint.host,
                                                    endpoint.port);
    }
    auto resolver = std::make_shared<tcp::resolver>(io);
    net::steady_timer timer(io);
    timer.expires_at(deadline);
    timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](boost::system::error_code e) {
      if (e) return;
      if (auto r = weak.lock()) r->cancel();
    });
    auto [rec, results] =
        co_await resolver->async_resolve(endpoint.host, endpoint.port, use_nothrow);
    timer.cancel();
    if (rec == net::error::operation_aborted) {
      co_return error{error_code::connection,
                      "cannot resolve " + endpoint.host + " within " +
                          milliseconds_text(options.connect_timeout),
                      0};
    }
    if (rec) {
      co_return error{error_code::connection,
                      "cannot resolve " + endpoint.host + ": " + rec.message(), 0};
    }
    co_return results;
  }

  // A new connection: resolved, connected and (https) past the TLS handshake, all within the
  // connect timeout.
  net::awaitable<outcome<std::unique_ptr<connection>>> open() {
    const auto deadline = options.connect_timeout.count() > 0
                              ? net::steady_timer::clock_type::now() + options.connect_timeout
                              : net::steady_timer::time_point::max();
    outcome<tcp::resolver::results_type> peers = co_await resolve(deadline);
    if (!peers.ok()) co_return peers.err();
    if (closed) co_return client_closed();

    auto conn = endpoint.tls ? std::make_unique<connection>(io.get_executor(), *tls)
                             : std::make_unique<connection>(io.get_executor());
    busy_mark marked(*this, conn.get());
    if (options.connect_timeout.count() > 0) conn->tcp().expires_at(deadline);
    {
      auto [ec, peer] = co_await conn->tcp().async_connect(*peers, use_nothrow);
      if (ec == beast::error::timeout) {
        co_return error{error_code::connection,
                        "cannot connect to " + where() + " within " +
                            milliseconds_text(options.connect_timeout),
                        0};
      }
      if (ec) {
        co_return error{error_code::connection,
                        "cannot connect to " + where() + ": " + ec.message(), 0};
      }
    }
    if (closed) co_return client_closed();
    boost::system::error_code ignored;
    conn->tcp().socket().set_option(tcp::no_delay(true), ignored);

    if (endpoint.tls) {
      ssl::stream<beast::tcp_stream>& s = *conn->secure;
      // SNI names a host, never an address.
      if (!is_ip_literal(endpoint.host)) {
        SSL_set_tlsext_host_name(s.native_handle(), endpoint.host.c_str());
      }
      if (options.verify_tls) s.set_verify_callback(ssl::host_name_verification(endpoint.host));
      auto [ec] = co_await s.async_handshake(ssl::stream_base::client, use_nothrow);
      if (ec == beast::error::timeout) {
        co_return error{error_code::connection,
                        "TLS handshake with " + where() + " did not finish within " +
                            milliseconds_text(options.connect_timeout),
                        0};
      }
      if (ec) {
        co_return error{error_code::connection,
                        "TLS handshake with " + where() + " failed: " + ec.message() +
                            " (is the endpoint really https?)",
                        0};
      }
    }
    conn->tcp().expires_never();
    co_return conn;
  }

  // Marks a connection as carrying a call (or being opened for one) while it lives, so that
  // close() can cut it.
  struct busy_mark {
    busy_mark(impl& t, connection* c) : owner(t), conn(c) { owner.busy.push_back(conn); }
    ~busy_mark() { owner.busy.erase(std::find(owner.busy.begin(), owner.busy.end(), conn)); }
    busy_mark(const busy_mark&) = delete;
    busy_mark& operator=(const busy_mark&) = delete;
    impl& owner;
    connection* conn;
  };

  // Most recently used first: the likeliest to be still open.
  std::unique_ptr<connection> take_idle() {
    while (!idle.empty()) {
      std::unique_ptr<connection> c = std::move(idle.back());
      idle.pop_back();
      if (c->quiet()) return c;
      c->close();
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<connection> c) {
    if (idle.size() >= options.max_idle_connections) {
      c->close();
      return;
    }
    c->tcp().expires_never();
    idle.push_back(std::move(c));
  }

  const endpoint_url endpoint;
  const client_options options;
  std::optional<error> setup_error;  // a bad TLS setting: every call reports it

  // Declared before what uses them, so they are destroyed after it.
  net::io_context io{1};
  std::optional<ssl::context> tls;
  std::vector<std::unique_ptr<connection>> idle;  // transport thread only
  std::vector<connection*> busy;                  // transport thread only: see busy_mark
  std::atomic<bool> closed{false};                // set once by close(), from any thread
  net::executor_work_guard<net::io_context::executor_type> work;
  std::thread thread;
};

transport::transport(endpoint_url endpoint, const client_options& options)
    : impl_(std::make_unique<impl>(std::move(endpoint), options)) {}

transport::~transport() = default;

const endpoint_url& transport::endpoint() const {
  return impl_->endpoint;
}

outcome<http_response> transport::send(const http_request& request) {
  return impl_->call(request, nullptr, std::chrono::milliseconds(0));
}

outcome<http_response> transport::send_streaming(const http_request& request, const body_sink& sink,
                                                 std::chrono::milliseconds idle_timeout) {
  return impl_->call(request, &sink, idle_timeout);
}

void transport::close() {
  impl_->close();
}

}  // namespace spate::client::detail
