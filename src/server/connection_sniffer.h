// connection_sniffer: what a new connection speaks, decided from its first bytes, so that one
// port serves every protocol:
//  - a TLS handshake record (first byte 0x16), when TLS is configured: the handshake, then
//    HTTP/2 if ALPN chose "h2", HTTP/1.1 otherwise (WebSocket included);
//  - the start of the HTTP/2 client preface ("PRI * HTTP/2.0..."): h2c by prior knowledge;
//  - anything else: HTTP/1.1.
// The bytes are peeked (MSG_PEEK), never consumed, so the session that takes the connection
// reads them itself. Until its first byte arrives the connection is idle (idle_connections.h)
// and may be closed to make room for a new one. The first byte may take `idle_timeout` to arrive;
// the decision and the TLS handshake must finish within `read_timeout`.
//
// Lifecycle: serve_connection() makes one per accepted socket; it registers for shutdown and
// lives until it hands the connection to its session or closes it.
// Thread safety: all state on the connection's I/O thread; stop() from any thread.
#pragma once

#include "server/http_session.h"
#include "server/idle_connections.h"
#include "server/net.h"
#include "server/router.h"
#include "server/session_registry.h"

#include <boost/asio/ssl.hpp>

#include <memory>

namespace spate::server {

struct connection_context {
  router& routes;
  session_registry& sessions;
  idle_connections& idle;  // connections waiting for their client, oldest first
  const session_limits& limits;
  std::shared_ptr<net::ssl::context> tls;  // null: TLS is off, 0x16 is just HTTP/1.1 garbage
};

// Starts serving an accepted connection.
void serve_connection(session_socket&& socket, const connection_context& context);

}  // namespace spate::server
