// The sessions and the router driven over real loopback connections, in process: a harness
// wires engine, dispatcher, router, budgets and admission as server.cc does and hands each
// accepted socket to serve_connection(), so the connection sniffer picks the session (HTTP/1.1,
// h2c, WebSocket, SubscribeToShard's push) and the tests can see what the server holds.
//
// What is checked: a request that arrives a byte at a time is answered; pipelined requests
// are answered in order; a peer that goes away at any byte of a request, or while its answer
// is written, or during a WebSocket handshake, an HTTP/2 preface or a push, leaves no session
// and no reserved memory behind, and the server keeps serving; a peer that stops reading is
// cut off after the write timeout and its answers' memory is returned.
#include "api/dispatcher.h"
#include "common/base64.h"
#include "engine/engine.h"
#include "server/admission.h"
#include "server/budgets.h"
#include "server/connection_sniffer.h"
#include "server/idle_connections.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/router.h"
#include "server/session_registry.h"
#include "testutil/eventually.h"
#include "testutil/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <nghttp2/nghttp2.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace spate::server {
namespace {

using namespace std::chrono_literals;

// ---- the harness ------------------------------------------------------------------------------

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    spdlog::set_level(spdlog::level::warn);
    engine::engine_options options;
    options.data_dir = dir_.path();
    options.fsync = storage::fsync_policy::never;
    auto opened = engine::engine::open(options);
    EXPECT_TRUE(opened) << opened.error().message();
    engine_ = std::move(*opened);
    EXPECT_TRUE(engine_->create_stream("s", 1, metadata::stream_mode::provisioned, {}));
    stats_ = std::make_unique<metrics>(api::dispatcher::action_names(),
                                       metrics_sources{engine_.get(), &memory_, &queue_, &idle_});
    dispatcher_ = std::make_unique<api::dispatcher>(
        *engine_, *stats_, [this](std::function<void()> task) { net::post(ioc_, std::move(task)); },
        api::push_limits{}, &memory_.responses);
    router_ = std::make_unique<router>(*dispatcher_, *stats_, memory_, queue_);
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::make_address_v4("127.0.0.1"), 0});
    acceptor_.listen();
    // Longer than testutil::eventually waits: a session that is gone in time went because of
    // what the peer did, not because a timeout fired. Tests of the timeouts shorten them.
    limits_.read_timeout = 60s;
    limits_.idle_timeout = 60s;
    limits_.push_write_timeout = 60s;
    accept();
    io_ = std::thread([this] { ioc_.run(); });
  }

  ~SessionTest() override {
    net::post(ioc_, [this] {
      acceptor_.close();
      for (auto& s : sessions_.close()) s->stop();
    });
    EXPECT_TRUE(testutil::eventually([&] { return !sessions_.any_alive(); }));
    work_.reset();
    ioc_.stop();
    io_.join();
    engine_->close();
  }

  void accept() {
    acceptor_.async_accept(ioc_.get_executor(), [this](beast::error_code ec, session_socket s) {
      if (ec) return;
      serve_connection(std::move(s), {*router_, sessions_, idle_, limits_, nullptr});
      accept();
    });
  }

  // A blocking client connection; reads give up after 10 s instead of hanging the test.
  // `receive_buffer` > 0: the socket's receive buffer, set before connecting so the window the
  // client advertises stays that small (a peer that reads slowly, or not at all).
  std::unique_ptr<tcp::socket> connect(int receive_buffer = 0) {
    auto client = std::make_unique<tcp::socket>(client_ioc_);
    client->open(tcp::v4());
    if (receive_buffer > 0) {
      ::setsockopt(client->native_handle(), SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                   sizeof receive_buffer);
    }
    client->connect(acceptor_.local_endpoint());
    client->set_option(tcp::no_delay(true));
    timeval tv{10, 0};
    ::setsockopt(client->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return client;
  }

  // Closes with a reset instead of a FIN when `reset`.
  static void hang_up(tcp::socket& client, bool reset) {
    if (reset) client.set_option(net::socket_base::linger(true, 0));
    beast::error_code ec;
    client.close(ec);
  }

  // True once the server holds nothing for any connection: no session, no reserved bytes.
  bool quiet() {
    return testutil::eventually([&] {
      return !sessions_.any_alive() && memory_.requests.used() == 0 &&
             memory_.responses.used() == 0 && memory_.subscribers.used() == 0;
    });
  }

  static http::response<http::string_body> read_response(tcp::socket& client,
                                                         beast::flat_buffer& buffer) {
    http::response<http::string_body> res;
    http::read(client, buffer, res);
    return res;
  }

  testutil::temp_dir dir_;
  std::unique_ptr<engine::engine> engine_;
  budgets memory_{budget_options{}};
  admission queue_{admission_options{}};
  idle_connections idle_;
  std::unique_ptr<metrics> stats_;
  std::unique_ptr<api::dispatcher> dispatcher_;
  std::unique_ptr<router> router_;
  session_registry sessions_;
  session_limits limits_;
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(ioc_);
  tcp::acceptor acceptor_{ioc_};
  std::thread io_;
  net::io_context client_ioc_;
};

std::string kinesis_request(std::string_view action, std::string_view body) {
  return fmt::format(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
      "X-Amz-Target: Kinesis_20131202.{}\r\nContent-Length: {}\r\n\r\n{}",
      action, body.size(), body);
}

const std::string put_record = kinesis_request(
    "PutRecord", R"({"StreamName":"s","PartitionKey":"k","Data":"aGVsbG8gZnJvbSBhIHRlc3Q="})");

// ---- HTTP/1.1 --------------------------------------------------------------------------------

TEST_F(SessionTest, ARequestArrivingAByteAtATimeIsAnswered) {
  auto client = connect();
  for (char c : put_record) {
    net::write(*client, net::buffer(&c, 1));
    // Short pauses so the bytes arrive in separate segments and the session reads in pieces.
    std::this_thread::sleep_for(100us);
  }
  beast::flat_buffer buffer;
  const auto res = read_response(*client, buffer);
  EXPECT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_NE(res.body().find("\"SequenceNumber\""), std::string::npos) << res.body();
  EXPECT_TRUE(res.keep_alive());
  EXPECT_TRUE(sessions_.any_alive());  // kept alive for the next request
  hang_up(*client, false);
  EXPECT_TRUE(quiet());
}

TEST_F(SessionTest, PipelinedRequestsAreAnsweredInOrder) {
  auto client = connect();
  const std::string three = put_record + kinesis_request("DescribeLimits", "{}") +
                            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  net::write(*client, net::buffer(three));
  beast::flat_buffer buffer;
  const auto first = read_response(*client, buffer);
  const auto second = read_response(*client, buffer);
  const auto third = read_response(*client, buffer);
  EXPECT_NE(first.body().find("\"ShardId\""), std::string::npos) << first.body();
  EXPECT_NE(second.body().find("\"ShardLimit\""), std::string::npos) << second.body();
  EXPECT_EQ(third.result(), http::status::ok);
  EXPECT_EQ(third.body(), "ok\n");
}

// The failure of each read in turn: the peer hangs up (FIN, then reset) after every prefix of
// a request, header and body. Nothing stays behind, and the next client is served.
TEST_F(SessionTest, APeerLeavingAtAnyByteOfARequestLeavesNothingBehind) {
  for (bool reset : {false, true}) {
    for (std::size_t cut = 0; cut < put_record.size(); ++cut) {
      SCOPED_TRACE(::testing::Message() << "cut at " << cut << (reset ? " (reset)" : " (FIN)"));
      auto client = connect();
      net::write(*client, net::buffer(put_record.data(), cut));
      hang_up(*client, reset);
      ASSERT_TRUE(quiet());
    }
  }
  auto client = connect();
  net::write(*client, net::buffer(put_record));
  beast::flat_buffer buffer;
  EXPECT_EQ(read_response(*client, buffer).result(), http::status::ok);
}

// The failure of the write: the peer sent whole requests and left before their answers.
TEST_F(SessionTest, APeerLeavingBeforeItsAnswersLeavesNothingBehind) {
  for (bool reset : {false, true}) {
    for (int requests : {1, 4, 16}) {
      auto client = connect();
      std::string many;
      for (int i = 0; i < requests; ++i) many += put_record;
      net::write(*client, net::buffer(many));
      hang_up(*client, reset);
      ASSERT_TRUE(quiet()) << requests << (reset ? " reset" : " FIN");
    }
  }
  // Every record those puts acknowledged - or not - the engine still serves reads.
  EXPECT_TRUE(engine_->describe("s"));
}

TEST_F(SessionTest, APeerThatStopsReadingIsCutOffAndItsAnswersFreed) {
  limits_.read_timeout = 300ms;  // also the time an answer has to be taken
  // Records large enough that a few GetRecords answers overflow every socket buffer.
  const std::string encoded = base64::encode(std::string(700'000, 'x'));
  for (int i = 0; i < 8; ++i) {
    auto client = connect();
    net::write(*client, net::buffer(kinesis_request(
                            "PutRecord", fmt::format(R"({{"StreamName":"s","PartitionKey":"k",)"
                                                     R"("Data":"{}"}})",
                                                     encoded))));
    beast::flat_buffer buffer;
    ASSERT_EQ(read_response(*client, buffer).result(), http::status::ok);
  }
  auto it = engine_->get_shard_iterator({"s", 0, engine::iterator_type::trim_horizon, {}, 0});
  ASSERT_TRUE(it);
  const std::string get =
      kinesis_request("GetRecords", fmt::format(R"({{"ShardIterator":"{}"}})", *it));
  auto client = connect(4096);
  std::string many;
  for (int i = 0; i < 8; ++i) many += get;
  net::write(*client, net::buffer(many));
  // The session holds at most its pipeline's worth of answers while the client reads nothing.
  EXPECT_TRUE(testutil::eventually([&] { return memory_.responses.used() > 0; }));
  EXPECT_TRUE(sessions_.any_alive());
  EXPECT_LE(memory_.responses.used(), limits_.pipeline_bytes + (16u << 20));
  // Then the write timeout ends the session and every answer's bytes are returned.
  EXPECT_TRUE(quiet());
  hang_up(*client, true);
}

TEST_F(SessionTest, AnIncompleteRequestIsCutOffAfterTheReadTimeout) {
  limits_.read_timeout = 200ms;
  auto client = connect();
  net::write(*client, net::buffer(put_record.data(), put_record.size() / 2));
  EXPECT_TRUE(quiet());
  // The server closed its side: the client reads the end of the stream (or a 408 first).
  char byte;
  beast::error_code ec;
  std::string got;
  while (!ec) {
    const std::size_t n = client->read_some(net::buffer(&byte, 1), ec);
    got.append(&byte, n);
  }
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

// ---- WebSocket -----------------------------------------------------------------------------

const std::string websocket_upgrade =
    "GET /v1/subscribe?stream=s&from=TRIM_HORIZON HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

TEST_F(SessionTest, AWebSocketSubscriberLeavingAtAnyStepLeavesNothingBehind) {
  for (std::size_t cut = 0; cut <= websocket_upgrade.size(); cut += 7) {
    SCOPED_TRACE(cut);
    auto client = connect();
    net::write(*client, net::buffer(websocket_upgrade.data(), cut));
    hang_up(*client, cut % 2 == 0);
    ASSERT_TRUE(quiet());
  }
  // A whole handshake: 101, then records are pushed; leaving mid-stream frees everything.
  auto client = connect();
  net::write(*client, net::buffer(websocket_upgrade));
  beast::flat_buffer buffer;
  http::response<http::empty_body> switching;
  http::read(*client, buffer, switching);
  EXPECT_EQ(switching.result(), http::status::switching_protocols);
  hang_up(*client, true);
  EXPECT_TRUE(quiet());
}

TEST_F(SessionTest, AWebSocketSubscriberThatStopsReadingIsClosedAndItsBufferFreed) {
  limits_.subscribers.buffer_bytes = 256u << 10;
  limits_.subscribers.lag_grace = 200ms;
  auto client = connect(4096);
  // At LATEST: a live subscriber, which must keep up (one catching up reads at its own pace).
  std::string live = websocket_upgrade;
  live.replace(live.find("TRIM_HORIZON"), std::strlen("TRIM_HORIZON"), "LATEST");
  net::write(*client, net::buffer(live));
  beast::flat_buffer buffer;
  http::response<http::empty_body> switching;
  http::read(*client, buffer, switching);
  ASSERT_EQ(switching.result(), http::status::switching_protocols);
  // Records keep coming and the client reads none: once the socket buffers and the
  // subscriber's own are full for longer than the grace, the subscriber is closed.
  const std::string data(64u << 10, 'w');
  auto put_one = [&] {
    storage::record_input record{"k", std::nullopt, data};
    std::promise<void> stored;
    EXPECT_TRUE(
        engine_->put("s", std::span(&record, 1),
                     [&](std::vector<engine::put_result>&, std::uint32_t) { stored.set_value(); }));
    stored.get_future().get();
  };
  std::size_t peak = 0;
  EXPECT_TRUE(testutil::eventually([&] {
    put_one();
    peak = std::max(peak, memory_.subscribers.used());
    return !sessions_.any_alive();
  }));
  // Never more than its buffer, plus the room it reserves for the next message before pulling.
  EXPECT_GT(peak, 0u);
  EXPECT_LE(peak, limits_.subscribers.buffer_bytes + max_pushed_message_bytes);
  EXPECT_TRUE(quiet());
  hang_up(*client, true);
}

// ---- HTTP/2 (h2c) ----------------------------------------------------------------------------

TEST_F(SessionTest, AnHttp2PeerLeavingAtAnyByteOfItsPrefaceLeavesNothingBehind) {
  // The client preface, an empty SETTINGS frame, then a PING the session must answer.
  std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  preface += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  const std::string ping = std::string("\x00\x00\x08\x06\x00\x00\x00\x00\x00", 9) + "12345678";
  for (std::size_t cut = 0; cut < preface.size(); ++cut) {
    SCOPED_TRACE(cut);
    auto client = connect();
    net::write(*client, net::buffer(preface.data(), cut));
    hang_up(*client, cut % 2 == 1);
    ASSERT_TRUE(quiet());
  }
  // The whole preface and a PING: the session answers with SETTINGS and a PING ACK.
  auto client = connect();
  net::write(*client, net::buffer(preface + ping));
  std::string got;
  char chunk[4096];
  while (got.find("12345678") == std::string::npos) {
    beast::error_code ec;
    const std::size_t n = client->read_some(net::buffer(chunk), ec);
    ASSERT_FALSE(ec) << ec.message() << " after " << got.size() << " bytes";
    got.append(chunk, n);
  }
  const std::size_t at = got.find("12345678");
  ASSERT_GE(at, 9u);
  EXPECT_EQ(got[at - 6], '\x06');  // a PING frame
  EXPECT_EQ(got[at - 5], '\x01');  // with the ACK flag
  hang_up(*client, false);
  EXPECT_TRUE(quiet());
}

// An h2c client built on nghttp2 (the library the server's session uses): the request's frames
// are written a byte at a time, the answer is read back through the same library.
TEST_F(SessionTest, AnHttp2RequestArrivingAByteAtATimeIsAnswered) {
  struct exchange {
    std::string body = R"({"StreamName":"s","PartitionKey":"k","Data":"aDI="})";
    std::size_t sent = 0;
    int status = 0;
    std::string answer;
    bool closed = false;
  } x;
  nghttp2_session_callbacks* callbacks = nullptr;
  ASSERT_EQ(nghttp2_session_callbacks_new(&callbacks), 0);
  nghttp2_session_callbacks_set_on_header_callback(
      callbacks, [](nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t namelen,
                    const uint8_t* value, size_t valuelen, uint8_t, void* user) {
        if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status") {
          static_cast<exchange*>(user)->status =
              std::stoi(std::string(reinterpret_cast<const char*>(value), valuelen));
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      callbacks,
      [](nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len, void* user) {
        static_cast<exchange*>(user)->answer.append(reinterpret_cast<const char*>(data), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      callbacks, [](nghttp2_session*, int32_t, uint32_t, void* user) {
        static_cast<exchange*>(user)->closed = true;
        return 0;
      });
  nghttp2_session* session = nullptr;
  ASSERT_EQ(nghttp2_session_client_new(&session, callbacks, &x), 0);
  nghttp2_session_callbacks_del(callbacks);
  ASSERT_EQ(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0), 0);
  auto header = [](const char* name, const std::string& value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                      std::strlen(name), value.size(), NGHTTP2_NV_FLAG_NONE};
  };
  const std::string post = "POST", path = "/", scheme = "http", authority = "127.0.0.1",
                    type = "application/x-amz-json-1.1", target = "Kinesis_20131202.PutRecord",
                    length = std::to_string(x.body.size());
  const nghttp2_nv headers[] = {header(":method", post),         header(":path", path),
                                header(":scheme", scheme),       header(":authority", authority),
                                header("content-type", type),    header("x-amz-target", target),
                                header("content-length", length)};
  nghttp2_data_provider body{};
  body.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) -> ssize_t {
    auto* ex = static_cast<exchange*>(user);
    const std::size_t n = std::min(length, ex->body.size() - ex->sent);
    std::memcpy(buf, ex->body.data() + ex->sent, n);
    ex->sent += n;
    if (ex->sent == ex->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };
  ASSERT_GT(nghttp2_submit_request(session, nullptr, headers, std::size(headers), &body, nullptr),
            0);
  std::string request;  // nghttp2's client session writes the preface itself
  for (;;) {
    const uint8_t* out = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &out);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    request.append(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  }
  auto client = connect();
  for (char c : request) {
    net::write(*client, net::buffer(&c, 1));
    std::this_thread::sleep_for(100us);  // separate segments, so the session reads in pieces
  }
  char chunk[4096];
  while (!x.closed) {
    beast::error_code ec;
    const std::size_t n = client->read_some(net::buffer(chunk), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_GE(nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(chunk), n), 0);
    for (;;) {  // SETTINGS acknowledgements and window updates the library owes
      const uint8_t* out = nullptr;
      const ssize_t m = nghttp2_session_mem_send(session, &out);
      if (m <= 0) break;
      net::write(*client, net::buffer(out, static_cast<std::size_t>(m)));
    }
  }
  nghttp2_session_del(session);
  EXPECT_EQ(x.status, 200) << x.answer;
  EXPECT_NE(x.answer.find("\"SequenceNumber\""), std::string::npos) << x.answer;
  hang_up(*client, false);
  EXPECT_TRUE(quiet());
}

// ---- SubscribeToShard's push session -----------------------------------------------------------

TEST_F(SessionTest, ASubscriberLeavingMidPushLeavesNothingBehind) {
  auto consumer = engine_->register_consumer("s", "app");
  ASSERT_TRUE(consumer) << consumer.error().message;
  const std::string subscribe = kinesis_request(
      "SubscribeToShard", fmt::format(R"({{"ConsumerARN":"{}","ShardId":"shardId-000000000000",)"
                                      R"("StartingPosition":{{"Type":"TRIM_HORIZON"}}}})",
                                      consumer->arn));
  for (bool reset : {false, true}) {
    auto client = connect();
    net::write(*client, net::buffer(subscribe));
    // The event stream's header arrives; then the subscriber goes.
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    http::read_header(*client, buffer, parser);
    EXPECT_EQ(parser.get().result(), http::status::ok);
    hang_up(*client, reset);
    ASSERT_TRUE(quiet()) << (reset ? "reset" : "FIN");
  }
}

}  // namespace
}  // namespace spate::server
