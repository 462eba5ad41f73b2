// http_connection: one HTTP/1.1 keep-alive connection of spate-bench, used by one worker at a
// time, one request in flight (as an SDK client uses a connection). Connects on first use and
// again after the server closes or a call fails; requests arrive fully serialized (see
// kinesis_wire.h), so sending is a single write of one buffer, and answers are read with
// Beast's parser into a body buffer that is reused and kept padded for simdjson.
//
// Thread safety: a connection lives on the executor it was made with; call it only from there.
#pragma once

#include "benchmarks/load/kinesis_wire.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace spate::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Completion token for awaiting an operation whose error comes back as a value.
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

class http_connection {
 public:
  // `peers` is the resolved server address (resolved once, before the run starts).
  http_connection(net::any_io_executor executor, tcp::resolver::results_type peers)
      : socket_(executor), peers_(std::move(peers)) {}

  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  // Sends one complete request and reads its answer. The reply stays valid until the next
  // call. A transport failure closes the connection (the next call reconnects) and comes back
  // as a "connection" error, except on a connection that had already served a request and
  // failed before any byte of the answer: the server may have closed it while it was idle
  // (Node's keep-alive timeout is 5 s), so the request is sent once more on a new connection,
  // as HTTP clients do.
  net::awaitable<call_result<http_reply*>> async_call(std::string_view request) {
    abandoned_ = false;
    for (int attempt = 0;; ++attempt) {
      const bool reused = socket_.is_open() && served_ > 0;
      bool answered = false;
      auto out = co_await attempt_call(request, answered);
      if (out || !reused || answered || attempt > 0 || abandoned_) co_return out;
    }
  }

  // Gives up on the call in flight (a client's timeout): the connection closes, the call
  // fails at once and is not sent again.
  void abandon() {
    abandoned_ = true;
    close();
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // How many times the connection was opened again after the first time: the server closed
  // it, or a call failed.
  std::uint64_t reconnects() const { return connects_ > 0 ? connects_ - 1 : 0; }

 private:
  net::awaitable<call_result<http_reply*>> attempt_call(std::string_view request, bool& answered) {
    if (!socket_.is_open()) {
      auto [ec, peer] = co_await net::async_connect(socket_, peers_, use_nothrow);
      if (ec) co_return fail("connect", ec);
      ++connects_;
      served_ = 0;
      socket_.set_option(tcp::no_delay(true), ec);
      buffer_.clear();
    }
    {
      auto [ec, n] = co_await net::async_write(socket_, net::buffer(request.data(), request.size()),
                                               use_nothrow);
      if (ec) co_return fail("write", ec);
    }
    // The head through Beast's parser; a body of known length then straight from the socket
    // into the reply buffer in as few reads as the kernel allows (Beast would read it 64 KiB at
    // a time and copy it once more), and a chunked body through Beast.
    http::response_parser<http::empty_body> head;
    head.body_limit(boost::none);
    {
      auto [ec, n] = co_await http::async_read_header(socket_, buffer_, head, use_nothrow);
      answered = head.got_some();
      if (ec) co_return fail("read", ec);
    }
    reply_.status = head.get().result_int();
    const bool keep_alive = head.get().keep_alive();
    if (const auto length = head.content_length(); length || head.is_done()) {
      const std::size_t size = length ? static_cast<std::size_t>(*length) : 0;
      reply_.fit(size);
      const std::size_t buffered = std::min(size, buffer_.size());
      net::buffer_copy(net::buffer(reply_.storage.data(), buffered), buffer_.data());
      buffer_.consume(buffered);
      if (buffered < size) {
        auto [ec, n] = co_await net::async_read(
            socket_, net::buffer(reply_.storage.data() + buffered, size - buffered), use_nothrow);
        if (ec) co_return fail("read", ec);
      }
    } else {
      http::response_parser<http::string_body> parser(std::move(head));
      auto [ec, n] = co_await http::async_read(socket_, buffer_, parser, use_nothrow);
      if (ec) co_return fail("read", ec);
      const std::string& body = parser.get().body();
      reply_.fit(body.size());
      std::copy(body.begin(), body.end(), reply_.storage.begin());
    }
    ++served_;
    if (!keep_alive) close();
    co_return &reply_;
  }

  call_error fail(std::string_view what, const boost::system::error_code& ec) {
    close();
    return {"connection", std::string(what) + ": " + ec.message()};
  }

  tcp::socket socket_;
  tcp::resolver::results_type peers_;
  beast::flat_buffer buffer_;
  http_reply reply_;
  std::uint64_t connects_ = 0;
  std::uint64_t served_ = 0;  // answers read on the current socket
  bool abandoned_ = false;    // abandon() was called during the current call
};

}  // namespace spate::bench
