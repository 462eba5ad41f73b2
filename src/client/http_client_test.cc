// The network client's call-level retries (5xx and throttling answers retried with backoff up
// to max_attempts; client errors returned at once) and its use of the AWS environment
// variables, against a scripted loopback HTTP server that answers from a list.
#include "client/backoff.h"
#include "testutil/eventually.h"

#include <spate/client/client.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace spate::client {
namespace {

using namespace std::chrono_literals;

struct reply {
  int status = 200;
  std::string body;
};

const reply list_streams_ok{200, R"({"StreamNames":["s1"],"HasMoreStreams":false})"};

reply aws_error(int status, const std::string& type, const std::string& message = "scripted") {
  return {status, R"({"__type":")" + type + R"(","message":")" + message + R"("})"};
}

// An HTTP/1.1 server on 127.0.0.1 that answers the n-th request with script[n] and every
// request past the script with `otherwise`. Connections are kept alive; each has its own
// thread. It records the head of every request it read.
class scripted_server {
 public:
  scripted_server(std::vector<reply> script, reply otherwise)
      : script_(std::move(script)), otherwise_(std::move(otherwise)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      throw std::runtime_error("scripted_server: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~scripted_server() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int c : connections_) ::shutdown(c, SHUT_RDWR);  // wakes read()
    }
    for (auto& t : threads_) t.join();
    for (int c : connections_) ::close(c);
    ::close(fd_);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::size_t requests() const {
    std::lock_guard lock(mu_);
    return heads_.size();
  }
  std::vector<std::string> heads() const {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::lock_guard lock(mu_);
      connections_.push_back(conn);
      threads_.emplace_back([this, conn] { serve(conn); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[4096];
    auto fill = [&] {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    };
    for (;;) {
      std::size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return;
      }
      std::string head = buffer.substr(0, end + 4);
      std::size_t length = 0;
      for (const char* name : {"\r\nContent-Length:", "\r\ncontent-length:"}) {
        if (auto at = head.find(name); at != std::string::npos)
          length = std::stoul(head.substr(at + std::string_view(name).size()));
      }
      while (buffer.size() < end + 4 + length) {
        if (!fill()) return;
      }
      buffer.erase(0, end + 4 + length);
      reply r;
      {
        std::lock_guard lock(mu_);
        r = heads_.size() < script_.size() ? script_[heads_.size()] : otherwise_;
        heads_.push_back(head);
      }
      const std::string answer = "HTTP/1.1 " + std::to_string(r.status) +
                                 " Scripted\r\nContent-Type: application/x-amz-json-1.1\r\n"
                                 "Content-Length: " +
                                 std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
      std::string_view rest = answer;
      while (!rest.empty()) {
        const ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n <= 0) return;
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
    }
  }

  const std::vector<reply> script_;
  const reply otherwise_;
  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<int> connections_;      // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_ until the acceptor is joined
  std::vector<std::string> heads_;    // guarded by mu_
};

// A client for `server` that retries quickly, so the tests take milliseconds.
std::shared_ptr<kinesis> client_for(const scripted_server& server, int max_attempts = 8) {
  client_options o;
  o.endpoint = server.endpoint();
  o.region = "us-east-1";
  o.creds = {"AKIDTEST", "test-secret", ""};
  o.retry.max_attempts = max_attempts;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  o.request_timeout = 5000ms;
  return make_client(o);
}

TEST(CallRetries, ServerErrorsAreRetriedUntilTheCallSucceeds) {
  scripted_server server({aws_error(500, "InternalFailure"), aws_error(503, "ServiceUnavailable"),
                          aws_error(500, "InternalFailure")},
                         list_streams_ok);
  auto r = client_for(server)->list_streams({});
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(r->stream_names, std::vector<std::string>{"s1"});
  EXPECT_EQ(server.requests(), 4u);
  for (const auto& head : server.heads())
    EXPECT_NE(head.find("X-Amz-Target: Kinesis_20131202.ListStreams"), std::string::npos) << head;
}

TEST(CallRetries, ThrottlingIsRetriedUntilTheCallSucceeds) {
  // The codes as Kinesis sends them, one with the namespace prefix some services add.
  scripted_server server(
      {aws_error(400, "ProvisionedThroughputExceededException", "Rate exceeded for shard"),
       aws_error(400, "ThrottlingException"),
       aws_error(400, "com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException")},
      list_streams_ok);
  auto r = client_for(server)->list_streams({});
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  EXPECT_EQ(server.requests(), 4u);
}

TEST(CallRetries, GivesUpAfterMaxAttemptsWithTheLastAnswer) {
  scripted_server server({}, aws_error(503, "ServiceUnavailable", "try later"));
  auto r = client_for(server, 3)->list_streams({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::service_unavailable);
  EXPECT_EQ(r.err().message, "try later");
  EXPECT_EQ(r.err().http_status, 503);
  EXPECT_EQ(server.requests(), 3u) << "max_attempts counts every try, the first included";
}

TEST(CallRetries, ThrottlingThatNeverEndsStopsAtMaxAttempts) {
  scripted_server server({}, aws_error(400, "ProvisionedThroughputExceededException"));
  auto r = client_for(server, 5)->list_streams({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::provisioned_throughput_exceeded);
  EXPECT_EQ(server.requests(), 5u);
}

TEST(CallRetries, OneAttemptMeansNoRetry) {
  scripted_server server({aws_error(500, "InternalFailure")}, list_streams_ok);
  auto r = client_for(server, 1)->list_streams({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::internal_failure);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(CallRetries, CloseEndsTheWaitBeforeARetry) {
  scripted_server server({}, aws_error(503, "ServiceUnavailable"));
  client_options o;
  o.endpoint = server.endpoint();
  o.region = "us-east-1";
  o.creds = {"AKIDTEST", "test-secret", ""};
  o.retry.max_attempts = 100;
  o.retry.base_delay = 1h;  // a backoff drawn below an hour: the call sleeps until closed
  o.retry.max_delay = 1h;
  auto api = make_client(o);
  std::optional<outcome<list_streams_result>> r;
  std::thread caller([&] { r.emplace(api->list_streams({})); });
  EXPECT_TRUE(testutil::eventually([&] { return server.requests() == 1; }));

  const auto start = std::chrono::steady_clock::now();
  api->close();
  caller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "the backoff ran on";
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->err().code, error_code::closed) << r->err().to_string();
  auto later = api->list_streams({});
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.err().code, error_code::closed);
  EXPECT_EQ(server.requests(), 1u) << "a closed client sent a request";
}

TEST(CallRetries, ClientErrorsAreReturnedAtOnce) {
  // LimitExceededException is also a hard limit in Kinesis (shard count), so it is not retried
  // (see error.cc); the caller decides.
  for (const char* type :
       {"ValidationException", "ResourceNotFoundException", "InvalidArgumentException",
        "ResourceInUseException", "LimitExceededException", "AccessDeniedException"}) {
    SCOPED_TRACE(type);
    scripted_server server({aws_error(400, type, "no retry helps")}, list_streams_ok);
    auto r = client_for(server)->list_streams({});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().name(), type);
    EXPECT_NE(r.err().code, error_code::unknown);
    EXPECT_EQ(r.err().message, "no retry helps");
    EXPECT_EQ(r.err().http_status, 400);
    EXPECT_EQ(server.requests(), 1u);
  }
}

TEST(CallRetries, EveryActionRetriesTheSameWay) {
  // Actions share one call path: a write (PutRecord) and a read (GetRecords) retry too.
  scripted_server server({aws_error(500, "InternalFailure"),
                          {200, R"({"ShardId":"shardId-000000000000","SequenceNumber":"7"})"},
                          aws_error(400, "ProvisionedThroughputExceededException"),
                          {200, R"({"Records":[],"NextShardIterator":"it-2",)"
                                R"("MillisBehindLatest":0})"}},
                         aws_error(400, "ValidationException"));
  auto api = client_for(server);
  auto put = api->put_record({{"s", ""}, "k", "data", "", ""});
  ASSERT_TRUE(put.ok()) << put.err().to_string();
  EXPECT_EQ(put->sequence_number, "7");
  auto got = api->get_records({"it-1", std::nullopt, ""});
  ASSERT_TRUE(got.ok()) << got.err().to_string();
  EXPECT_EQ(got->next_shard_iterator, "it-2");
  EXPECT_EQ(server.requests(), 4u);
}

TEST(Backoff, FullJitterBelowACapThatDoublesUpToMaxDelay) {
  retry_options retry;
  retry.base_delay = 10ms;
  retry.max_delay = 200ms;
  for (int n = 0; n < 8; ++n) {
    SCOPED_TRACE(n);
    const long cap = std::min(200L, 10L << n);
    long highest = 0;
    std::set<long> seen;
    for (int i = 0; i < 500; ++i) {
      const long d = detail::backoff_delay(retry, n).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, cap);
      highest = std::max(highest, d);
      seen.insert(d);
    }
    EXPECT_GE(highest, cap / 2) << "the cap does not grow as it should";
    EXPECT_GE(seen.size(), 5u) << "no jitter";
  }
}

// The client reads its endpoint, region and credentials from the AWS variables when the
// options leave them empty: the request reaches the server the variable names, signed with
// the key, scope and session token from the environment.
TEST(ClientEnvironment, EndpointRegionAndCredentialsComeFromAwsVariables) {
  const char* names[] = {"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL",  "AWS_REGION",
                         "AWS_DEFAULT_REGION",       "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                         "AWS_SESSION_TOKEN"};
  std::map<std::string, std::optional<std::string>> saved;
  for (const char* n : names) {
    const char* v = std::getenv(n);
    saved[n] = v ? std::optional<std::string>(v) : std::nullopt;
    ::unsetenv(n);
  }
  struct restore {
    std::map<std::string, std::optional<std::string>>& saved;
    ~restore() {
      for (const auto& [n, v] : saved)
        v ? ::setenv(n.c_str(), v->c_str(), 1) : ::unsetenv(n.c_str());
    }
  } restore{saved};

  scripted_server server({}, list_streams_ok);
  ::setenv("AWS_ENDPOINT_URL", server.endpoint().c_str(), 1);
  ::setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env", 1);
  ::setenv("AWS_SESSION_TOKEN", "session-from-env", 1);
  auto r = make_client({})->list_streams({});
  ASSERT_TRUE(r.ok()) << r.err().to_string();
  ASSERT_EQ(server.requests(), 1u);
  const std::string head = server.heads()[0];
  EXPECT_NE(head.find("Credential=AKIDFROMENV/"), std::string::npos) << head;
  EXPECT_NE(head.find("/eu-north-1/kinesis/aws4_request"), std::string::npos) << head;
  EXPECT_NE(head.find("session-from-env"), std::string::npos) << head;
}

}  // namespace
}  // namespace spate::client
