// tls: the server's TLS context. The certificate chain and key come from PEM files
// (--tls-cert/--tls-key) or from a self-signed pair that the server makes once in its data
// directory (--tls-self-signed: an ECDSA P-256 key and a certificate for localhost, 127.0.0.1
// and ::1, kept in <data-dir>/tls/ and reused on later starts). TLS 1.2 is the floor; ALPN offers
// h2 first, then http/1.1, so a client that asks for HTTP/2 gets it and every other client gets
// HTTP/1.1 (WebSocket included).
//
// Configuration errors (a missing or mismatched file) are startup errors and are thrown as
// std::runtime_error with a message that names the file.
// Thread safety: the context is shared, read-only after construction, by every I/O thread.
#pragma once

#include "server/net.h"

#include <boost/asio/ssl.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace spate::server {

struct tls_options {
  std::string cert_file;        // PEM certificate chain
  std::string key_file;         // PEM private key
  std::string self_signed_dir;  // set: make (or reuse) a self-signed pair here instead
  bool enabled() const { return !cert_file.empty() || !self_signed_dir.empty(); }
};

// The context for `options`; when self-signed, the certificate's path is written to
// `*certificate_path` (for the start-up log line that tells clients what to trust).
std::shared_ptr<net::ssl::context> make_tls_context(const tls_options& options,
                                                    std::string* certificate_path = nullptr);

// The application protocol ALPN settled on a finished handshake: "h2", "http/1.1", or "" when
// the client offered none.
std::string_view alpn_protocol(tls_stream& stream);

}  // namespace spate::server
