// Tests of the HTTP transport against a real spated, and against small scripted servers for
// what spated never does (stay silent, stream chunks slowly, stall mid-stream).
#include "client/transport.h"

#include "client/sigv4.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <simdjson.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <future>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace spate::client::detail {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Timing in these tests: a lower bound checks that a timeout is honoured (a clock cannot run
// early); an upper bound only tells the behaviour under test from the wrong one (no timeout at
// all, or another timeout that the test sets far longer), with seconds to spare, because ctest
// -j runs these on two busy cores. No bound measures speed: that is make bench's job.
constexpr long wrong_timeout_ms = 60'000;  // the other timeout, where a test needs one
constexpr long generous_ms = 20'000;       // well above any honest answer, well below that

// --- helpers --------------------------------------------------------------------------------

client_options test_options(const std::string& endpoint) {
  client_options o;
  o.endpoint = endpoint;
  o.region = "us-east-1";
  o.creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  o.connect_timeout = 2000ms;
  o.request_timeout = 5000ms;
  return o;
}

endpoint_url endpoint_of(const std::string& url) {
  auto ep = parse_endpoint(url);
  EXPECT_TRUE(ep.ok()) << url;
  return ep.value();
}

// A signed Kinesis JSON 1.1 request, as the client sends it.
http_request kinesis_request(const transport& t, const client_options& o, std::string action,
                             std::string body) {
  http_request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "Kinesis_20131202." + action}};
  r.body = std::move(body);
  sign_request(r, t.endpoint().host_header, o.creds, {o.region, "kinesis"},
               std::chrono::system_clock::now());
  return r;
}

http_request get_request(std::string target) {
  http_request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

// spated's spate_open_connections gauge (the connection asking included).
long open_connections(transport& t) {
  auto r = t.send(get_request("/metrics"));
  if (!r.ok() || r->status != 200) return -1;
  const std::string name = "\nspate_open_connections ";
  const auto at = r->body.find(name);
  if (at == std::string::npos) return -1;
  return std::stol(r->body.substr(at + name.size()));
}

long elapsed_ms(steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - since).count();
}

// A loopback listening socket. `accept_one` runs `script` on the first connection in a
// thread; without a script, connections wait in the backlog and are never answered.
class test_listener {
 public:
  explicit test_listener(std::function<void(int fd)> script = nullptr, int backlog = 16) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, backlog) != 0) {
      throw std::runtime_error("test_listener: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (script) {
      thread_ = std::thread([this, script = std::move(script)] {
        const int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        script(conn);
        ::close(conn);
      });
    }
  }
  ~test_listener() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes a blocked accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Reads one request head (the test requests have no body).
void read_request_head(int fd) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::read(fd, &c, 1) == 1) head += c;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string chunk(std::string_view data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

constexpr std::string_view chunked_head =
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

// A throwaway self-signed certificate for "localhost", its key, and the certificate as a PEM
// file (a CA bundle trusting exactly it).
class test_certificate {
 public:
  test_certificate() {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert_, cert_, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost");
    X509_add_ext(cert_, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert_, key_, EVP_sha256());

    pem_path_ = (std::filesystem::temp_directory_path() /
                 ("spate-test-ca-" + std::to_string(::getpid()) + ".pem"))
                    .string();
    FILE* f = std::fopen(pem_path_.c_str(), "w");
    PEM_write_X509(f, cert_);
    std::fclose(f);
  }
  ~test_certificate() {
    std::filesystem::remove(pem_path_);
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  const std::string& pem_path() const { return pem_path_; }

  // Serves one HTTPS request on `fd` with "200 ok"; records the SNI name the client sent.
  void serve_one(int fd, std::string* sni) const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, cert_);
    SSL_CTX_use_PrivateKey(ctx, key_);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) *sni = name;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && SSL_read(ssl, &c, 1) == 1) head += c;
      const std::string_view answer =
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string pem_path_;
};

// --- parse_endpoint -------------------------------------------------------------------------

TEST(Transport, ParseEndpointAcceptsHttpAndHttps) {
  struct example {
    std::string url;
    bool tls;
    std::string host, port, host_header;
  };
  const std::vector<example> good = {
      {"http://127.0.0.1:4567", false, "127.0.0.1", "4567", "127.0.0.1:4567"},
      {"http://127.0.0.1:4567/", false, "127.0.0.1", "4567", "127.0.0.1:4567"},
      {"http://localhost", false, "localhost", "80", "localhost"},
      {"http://localhost:80", false, "localhost", "80", "localhost"},
      {"http://localhost:443", false, "localhost", "443", "localhost:443"},
      {"https://Kinesis.US-East-1.amazonaws.com/", true, "kinesis.us-east-1.amazonaws.com", "443",
       "kinesis.us-east-1.amazonaws.com"},
      {"https://kinesis.us-east-1.amazonaws.com:443", true, "kinesis.us-east-1.amazonaws.com",
       "443", "kinesis.us-east-1.amazonaws.com"},
      {"https://localhost:80", true, "localhost", "80", "localhost:80"},
      {"HTTPS://localhost:8443", true, "localhost", "8443", "localhost:8443"},
      {"http://[::1]:4567", false, "::1", "4567", "[::1]:4567"},
      {"https://[::1]", true, "::1", "443", "[::1]"},
  };
  for (const auto& e : good) {
    SCOPED_TRACE(e.url);
    const auto ep = parse_endpoint(e.url);
    ASSERT_TRUE(ep.ok()) << ep.err().to_string();
    EXPECT_EQ(ep->tls, e.tls);
    EXPECT_EQ(ep->host, e.host);
    EXPECT_EQ(ep->port, e.port);
    EXPECT_EQ(ep->host_header, e.host_header);
  }
}

TEST(Transport, ParseEndpointRejectsWhatIsNotSchemeHostPort) {
  for (const std::string url :
       {"", "127.0.0.1:4567", "ftp://host", "http://", "http:///", "http://host:", "http://host:0",
        "http://host:65536", "http://host:12ab", "http://host/path", "http://host/?q=1",
        "http://user@host", "http://::1", "http://[::1", "http://[::1]x"}) {
    SCOPED_TRACE(url);
    const auto ep = parse_endpoint(url);
    ASSERT_FALSE(ep.ok());
    EXPECT_EQ(ep.err().code, error_code::invalid_option);
  }
}

TEST(Transport, ResponseHeaderLookupIgnoresCase) {
  http_response r;
  r.headers = {{"Content-Type", "application/json"}, {"x-amzn-RequestId", "abc"}};
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-Amzn-RequestId"), "abc");
  EXPECT_EQ(r.header("Content-Length"), "");
}

// --- against spated -------------------------------------------------------------------------

TEST(Transport, ListStreamsAgainstSpated) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(kinesis_request(t, o, "ListStreams", "{}"));
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->header("content-type").find("json"), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(r->body).get(doc)) << r->body;
  simdjson::dom::array names;
  EXPECT_FALSE(doc["StreamNames"].get(names)) << r->body;
}

TEST(Transport, ErrorAnswersComeBackAsResponses) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  auto r =
      t.send(kinesis_request(t, o, "DescribeStreamSummary", R"({"StreamName":"no-such-stream"})"));
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("ResourceNotFoundException"), std::string::npos) << r->body;
}

TEST(Transport, SequentialRequestsReuseOneConnection) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  for (int i = 0; i < 200; ++i) {
    auto r = t.send(kinesis_request(t, o, "ListStreams", "{}"));
    ASSERT_TRUE(r.ok()) << i << ": " << r.err().to_string();
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(open_connections(t), 1);
}

TEST(Transport, ConcurrentSendsFromEightThreads) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 40; ++j) {
        auto r = t.send(kinesis_request(t, o, "ListStreams", "{}"));
        if (r.ok() && r->status == 200) ++succeeded;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(succeeded.load(), 8 * 40);
  const long open = open_connections(t);
  EXPECT_GE(open, 1);
  EXPECT_LE(open, 8);
}

TEST(Transport, IdleConnectionClosedByServerIsReplaced) {
  testutil::spated_process spated({"--idle-timeout-ms", "200"});
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  for (int i = 0; i < 3; ++i) {
    auto r = t.send(kinesis_request(t, o, "ListStreams", "{}"));
    ASSERT_TRUE(r.ok()) << i << ": " << r.err().to_string();
    EXPECT_EQ(r->status, 200);
    std::this_thread::sleep_for(500ms);  // spated closes the idle connection meanwhile
  }
}

TEST(Transport, StaleConnectionIsRetriedOnceOnAFreshOne) {
  // The first connection answers once with keep-alive and then ignores the next request and
  // closes: the transport must send that request again on a new connection.
  int accepted = 0;
  std::atomic<bool> done{false};
  int listen_port = 0;
  // Two scripted connections on one listener: a small accept loop.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  listen_port = ntohs(addr.sin_port);
  std::thread server([&] {
    constexpr std::string_view ok =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    const int first = ::accept(fd, nullptr, nullptr);
    if (first < 0) return;
    ++accepted;
    read_request_head(first);
    write_all(first, ok);
    read_request_head(first);  // the second request: dropped on the floor
    ::close(first);
    const int second = ::accept(fd, nullptr, nullptr);
    if (second < 0) return;
    ++accepted;
    read_request_head(second);
    write_all(second, ok);
    read_request_head(second);  // returns at the client's close
    ::close(second);
    done = true;
  });
  {
    const client_options o = test_options("http://127.0.0.1:" + std::to_string(listen_port));
    transport t(endpoint_of(o.endpoint), o);
    auto first = t.send(get_request("/a"));
    ASSERT_TRUE(first.ok()) << first.err().to_string();
    auto second = t.send(get_request("/b"));
    ASSERT_TRUE(second.ok()) << second.err().to_string();
    EXPECT_EQ(second->body, "ok");
  }
  ::shutdown(fd, SHUT_RDWR);
  server.join();
  ::close(fd);
  EXPECT_EQ(accepted, 2);
  EXPECT_TRUE(done.load());
}

// --- failures -------------------------------------------------------------------------------

TEST(Transport, ClosedPortIsConnectionErrorAtOnce) {
  const int port = testutil::free_loopback_port();
  client_options o = test_options("http://127.0.0.1:" + std::to_string(port));
  o.connect_timeout = std::chrono::milliseconds(wrong_timeout_ms);  // "at once": not after this
  transport t(endpoint_of(o.endpoint), o);
  const auto start = steady::now();
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
  EXPECT_EQ(r.err().http_status, 0);
  EXPECT_LT(elapsed_ms(start), generous_ms);
}

TEST(Transport, SilentServerGivesRequestTimeout) {
  test_listener silent;  // the kernel accepts the connection; nobody ever answers
  client_options o = test_options(silent.endpoint());
  o.request_timeout = 300ms;
  transport t(endpoint_of(o.endpoint), o);
  const auto start = steady::now();
  auto r = t.send(get_request("/"));
  const long took = elapsed_ms(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::timeout) << r.err().to_string();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, generous_ms) << "no request timeout";
}

TEST(Transport, ServerClosingWithoutAnswerIsConnectionError) {
  test_listener rude([](int fd) { read_request_head(fd); });  // reads, then closes
  const client_options o = test_options(rude.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
}

TEST(Transport, GarbageAnswerIsBadResponse) {
  test_listener garbage([](int fd) {
    read_request_head(fd);
    write_all(fd, "SPDY/9 what is this\r\n\r\n");
  });
  const client_options o = test_options(garbage.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::bad_response) << r.err().to_string();
}

TEST(Transport, CloseEndsTheCallInFlightAndAnswersLaterOnesAtOnce) {
  std::atomic<bool> request_read{false};
  std::atomic<bool> hung_up{false};
  test_listener silent([&](int fd) {  // reads the request, never answers, notes the hang-up
    read_request_head(fd);
    request_read = true;
    pollfd p{fd, POLLIN, 0};
    char byte;
    if (::poll(&p, 1, generous_ms) == 1 && ::read(fd, &byte, 1) <= 0) hung_up = true;
  });
  client_options o = test_options(silent.endpoint());
  o.request_timeout = std::chrono::milliseconds(wrong_timeout_ms);
  transport t(endpoint_of(o.endpoint), o);
  std::optional<outcome<http_response>> in_flight;
  std::thread caller([&] { in_flight.emplace(t.send(get_request("/"))); });
  EXPECT_TRUE(testutil::eventually([&] { return request_read.load(); }));

  const auto start = steady::now();
  t.close();
  caller.join();
  EXPECT_LT(elapsed_ms(start), generous_ms) << "the call waited for its timeout";
  ASSERT_FALSE(in_flight->ok());
  EXPECT_EQ(in_flight->err().code, error_code::closed) << in_flight->err().to_string();
  EXPECT_TRUE(testutil::eventually([&] { return hung_up.load(); })) << "the connection stayed open";

  auto later = t.send(get_request("/"));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.err().code, error_code::closed);
}

TEST(Transport, ConnectTimeoutIsConnectionError) {
  // A listener with a full accept queue: the kernel drops further SYNs, so connect() hangs.
  test_listener full(nullptr, 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(full.port()));
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(50ms);
  client_options o = test_options(full.endpoint());
  o.connect_timeout = 300ms;
  o.request_timeout = std::chrono::milliseconds(wrong_timeout_ms);
  transport t(endpoint_of(o.endpoint), o);
  const auto start = steady::now();
  auto r = t.send(get_request("/"));
  const long took = elapsed_ms(start);
  for (int fd : fillers) ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
  EXPECT_NE(r.err().message.find("within 300 ms"), std::string::npos) << r.err().to_string();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, generous_ms);
}

TEST(Transport, TlsWithTheServersCaFileSendsSniAndSucceeds) {
  test_certificate cert;
  std::string sni;
  test_listener server([&](int fd) { cert.serve_one(fd, &sni); });
  client_options o = test_options("https://localhost:" + std::to_string(server.port()));
  o.ca_file = cert.pem_path();
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(sni, "localhost");
}

TEST(Transport, TlsRejectsAnUntrustedCertificate) {
  test_certificate cert;
  std::string sni;
  test_listener server([&](int fd) { cert.serve_one(fd, &sni); });
  const client_options o = test_options("https://localhost:" + std::to_string(server.port()));
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
  EXPECT_NE(r.err().message.find("certificate verify failed"), std::string::npos)
      << r.err().to_string();
}

TEST(Transport, TlsRejectsACertificateForAnotherName) {
  test_certificate cert;  // for "localhost" only
  std::string sni;
  test_listener server([&](int fd) { cert.serve_one(fd, &sni); });
  client_options o = test_options("https://127.0.0.1:" + std::to_string(server.port()));
  o.ca_file = cert.pem_path();
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
  EXPECT_TRUE(sni.empty()) << "no SNI for an address";
}

TEST(Transport, TlsWithoutVerificationAcceptsAnyCertificate) {
  test_certificate cert;
  std::string sni;
  test_listener server([&](int fd) { cert.serve_one(fd, &sni); });
  client_options o = test_options("https://127.0.0.1:" + std::to_string(server.port()));
  o.verify_tls = false;
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->body, "ok");
}

TEST(Transport, HttpsToPlainHttpPortFailsClearly) {
  testutil::spated_process spated;
  client_options o = test_options("https://127.0.0.1:" + std::to_string(spated.port()));
  o.verify_tls = false;
  o.request_timeout = std::chrono::milliseconds(wrong_timeout_ms);
  transport t(endpoint_of(o.endpoint), o);
  const auto start = steady::now();
  auto r = t.send(get_request("/healthz"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::connection) << r.err().to_string();
  EXPECT_NE(r.err().message.find("TLS"), std::string::npos) << r.err().to_string();
  EXPECT_LT(elapsed_ms(start), generous_ms) << "failed only when a timeout ran out";
}

TEST(Transport, MissingCaFileIsReportedByEveryCall) {
  client_options o = test_options("https://127.0.0.1:1");
  o.ca_file = "/nonexistent/ca.pem";
  transport t(endpoint_of(o.endpoint), o);
  auto r = t.send(get_request("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::invalid_option) << r.err().to_string();
}

// --- streaming ------------------------------------------------------------------------------

TEST(Transport, StreamingDeliversAPlainBody) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  for (int i = 0; i < 3; ++i) {  // and the connection goes back to the pool each time
    std::string got;
    auto r = t.send_streaming(
        get_request("/healthz"),
        [&](std::string_view piece) {
          got += piece;
          return true;
        },
        2000ms);
    ASSERT_TRUE(r.ok()) << r.err().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(got, "ok\n");
    EXPECT_TRUE(r->body.empty());
  }
  EXPECT_EQ(open_connections(t), 1);
}

TEST(Transport, StreamingErrorAnswerIsReturnedWhole) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  bool sink_called = false;
  auto r = t.send_streaming(
      get_request("/no-such-page"),
      [&](std::string_view) {
        sink_called = true;
        return true;
      },
      2000ms);
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_GE(r->status, 400);
  EXPECT_FALSE(r->body.empty());
  EXPECT_FALSE(sink_called);
}

TEST(Transport, StreamingDeliversChunksAsTheyArrive) {
  std::promise<void> first_seen;
  auto first_seen_future = first_seen.get_future();
  test_listener server([&](int fd) {
    read_request_head(fd);
    write_all(fd, std::string(chunked_head) + chunk("hello"));
    // The second chunk goes only once the client has handed the first to its sink.
    if (first_seen_future.wait_for(5s) != std::future_status::ready) return;
    write_all(fd, chunk("world") + chunk(""));
  });
  const client_options o = test_options(server.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  std::vector<std::string> pieces;
  auto r = t.send_streaming(
      get_request("/stream"),
      [&](std::string_view piece) {
        pieces.emplace_back(piece);
        if (pieces.size() == 1) first_seen.set_value();
        return true;
      },
      2000ms);
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/vnd.amazon.eventstream");
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], "hello");
  EXPECT_EQ(pieces[1], "world");
}

TEST(Transport, StreamingStopsWhenTheSinkSaysSo) {
  std::atomic<bool> client_closed{false};
  test_listener server([&](int fd) {
    read_request_head(fd);
    write_all(fd, std::string(chunked_head) + chunk("one"));
    char c;
    client_closed = ::read(fd, &c, 1) <= 0;  // the client closes instead of reading on
  });
  const client_options o = test_options(server.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  int calls = 0;
  auto r = t.send_streaming(
      get_request("/stream"),
      [&](std::string_view) {
        ++calls;
        return false;
      },
      5000ms);
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(calls, 1);
  const auto deadline = steady::now() + std::chrono::milliseconds(generous_ms);
  while (!client_closed && steady::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(client_closed.load());
}

TEST(Transport, StreamingIdleTimeoutBetweenPieces) {
  test_listener server([](int fd) {
    read_request_head(fd);
    write_all(fd, std::string(chunked_head) + chunk("one"));
    char c;
    (void)::read(fd, &c, 1);  // stall until the client gives up
  });
  client_options o = test_options(server.endpoint());
  o.request_timeout = std::chrono::milliseconds(wrong_timeout_ms);
  transport t(endpoint_of(o.endpoint), o);
  int calls = 0;
  const auto start = steady::now();
  auto r = t.send_streaming(
      get_request("/stream"),
      [&](std::string_view piece) {
        calls += piece.empty() ? 0 : 1;  // empty: a quiet-stream tick
        return true;
      },
      300ms);
  const long took = elapsed_ms(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::timeout) << r.err().to_string();
  EXPECT_EQ(calls, 1);
  EXPECT_GE(took, 250);
  EXPECT_LT(took, generous_ms);
}

TEST(Transport, QuietStreamEndsAtOnceWhenTheSinkSaysSoOnATick) {
  test_listener server([](int fd) {
    read_request_head(fd);
    write_all(fd, std::string(chunked_head) + chunk("one"));
    char c;
    (void)::read(fd, &c, 1);  // never sends more
  });
  client_options o = test_options(server.endpoint());
  o.request_timeout = std::chrono::milliseconds(wrong_timeout_ms);
  transport t(endpoint_of(o.endpoint), o);
  std::string got;
  int ticks = 0;
  const auto start = steady::now();
  auto r = t.send_streaming(
      get_request("/stream"),
      [&](std::string_view piece) {
        got.append(piece);
        ticks += piece.empty() ? 1 : 0;
        return ticks < 2;  // give up on the second quiet tick
      },
      std::chrono::milliseconds(wrong_timeout_ms));
  const long took = elapsed_ms(start);
  EXPECT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(got, "one");
  EXPECT_GE(took, 300);
  EXPECT_LT(took, generous_ms) << "the stream was not cancelled; it waited for the idle timeout";
}

TEST(Transport, SinkExceptionReachesTheCallerAndTheTransportStaysUsable) {
  testutil::spated_process spated;
  const client_options o = test_options(spated.endpoint());
  transport t(endpoint_of(o.endpoint), o);
  EXPECT_THROW(
      (void)t.send_streaming(
          get_request("/healthz"),
          [](std::string_view) -> bool { throw std::runtime_error("sink failed"); }, 2000ms),
      std::runtime_error);
  auto r = t.send(kinesis_request(t, o, "ListStreams", "{}"));
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace spate::client::detail
