// net: namespace aliases for Asio and Beast, so server code reads the same everywhere.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace spate::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Each I/O thread runs an io_context of its own, and a connection lives on one of them, so
// its handlers never run concurrently without a strand. The executor type is spelled out
// rather than type-erased (any_io_executor), so asynchronous operations do not copy and
// destroy a polymorphic executor each time.
using session_executor = net::io_context::executor_type;
using session_socket = tcp::socket::rebind_executor<session_executor>::other;
using session_stream = beast::basic_stream<tcp, session_executor>;
// A connection that began with a TLS handshake (server/tls.h); the sessions are templates over
// the two stream types and reach the TCP layer through beast::get_lowest_layer().
using tls_stream = beast::ssl_stream<session_stream>;

}  // namespace spate::server
