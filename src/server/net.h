// net: namespace aliases for Asio and Beast, so server code reads the same everywhere.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace spate::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// A connection's strand, spelled out rather than type-erased (any_io_executor), so that each
// asynchronous operation does not copy and destroy a polymorphic executor.
using strand = net::strand<net::io_context::executor_type>;
using strand_socket = tcp::socket::rebind_executor<strand>::other;
using strand_stream = beast::basic_stream<tcp, strand>;
}  // namespace spate::server
