// Tests of the SigV4 signer: AWS's published test-suite signatures, and the same
// Authorization header as botocore's SigV4Auth for a range of requests (botocore signs them
// in a child /usr/bin/python3 through tests/tools/botocore_sign.py at the same fixed time).
#include "client/sigv4.h"

#include "client/json_writer.h"
#include "client/transport.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace spate::client::detail {
namespace {

using namespace std::chrono_literals;

// 2015-08-30T12:36:00Z, the time of AWS's SigV4 test suite.
const std::chrono::system_clock::time_point suite_time =
    std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;

const credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const signing_scope suite_scope{"us-east-1", "service"};
const std::string suite_host = "example.amazonaws.com";

constexpr const char* suite_credential_prefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=";

http_request make_request(std::string method, std::string target) {
  http_request r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

std::string header_value(const http_request& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

int header_count(const http_request& r, const std::string& name) {
  int count = 0;
  for (const auto& h : r.headers) count += h.first == name ? 1 : 0;
  return count;
}

// --- AWS's published examples (SigV4 test suite, 2015-08-30) --------------------------------

TEST(SigV4, GetVanillaMatchesAwsTestSuite) {
  const auto parts =
      compute_signature(make_request("GET", "/"), suite_host, suite_creds, suite_scope, suite_time);
  EXPECT_EQ(parts.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(parts.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(parts.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(parts.authorization, std::string(suite_credential_prefix) + parts.signature);
}

TEST(SigV4, QueryParametersAreSortedAsInAwsTestSuite) {
  const auto parts = compute_signature(make_request("GET", "/?Param2=value2&Param1=value1"),
                                       suite_host, suite_creds, suite_scope, suite_time);
  EXPECT_EQ(parts.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, PostVanillaMatchesAwsTestSuite) {
  const auto parts = compute_signature(make_request("POST", "/"), suite_host, suite_creds,
                                       suite_scope, suite_time);
  EXPECT_EQ(parts.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

// --- sign_request -----------------------------------------------------------------------------

TEST(SigV4, SignRequestAddsDateAndAuthorization) {
  http_request r = make_request("GET", "/");
  sign_request(r, suite_host, suite_creds, suite_scope, suite_time);
  EXPECT_EQ(header_value(r, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header_value(r, "Authorization"),
            std::string(suite_credential_prefix) +
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(header_count(r, "X-Amz-Security-Token"), 0);
  EXPECT_EQ(header_count(r, "Host"), 0) << "the transport adds Host, not the signer";
}

TEST(SigV4, SigningAgainReplacesTheOldSignature) {
  http_request r = make_request("POST", "/");
  credentials temporary = suite_creds;
  temporary.session_token = "token-1";
  sign_request(r, suite_host, temporary, suite_scope, suite_time);
  const std::string first = header_value(r, "Authorization");
  temporary.session_token = "token-2";
  sign_request(r, suite_host, temporary, suite_scope, suite_time + 1s);
  EXPECT_EQ(header_count(r, "Authorization"), 1);
  EXPECT_EQ(header_count(r, "X-Amz-Date"), 1);
  EXPECT_EQ(header_count(r, "X-Amz-Security-Token"), 1);
  EXPECT_EQ(header_value(r, "X-Amz-Security-Token"), "token-2");
  EXPECT_EQ(header_value(r, "X-Amz-Date"), "20150830T123601Z");
  EXPECT_NE(header_value(r, "Authorization"), first);
  EXPECT_NE(header_value(r, "Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(SigV4, SignatureCoversTheBody) {
  http_request a = make_request("POST", "/");
  http_request b = a;
  a.body = "{}";
  b.body = "{ }";
  EXPECT_NE(compute_signature(a, suite_host, suite_creds, suite_scope, suite_time).signature,
            compute_signature(b, suite_host, suite_creds, suite_scope, suite_time).signature);
}

// --- equality with botocore ---------------------------------------------------------------

std::string to_hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

bool botocore_available() {
  return std::system("/usr/bin/python3 -c 'import botocore.auth' >/dev/null 2>&1") == 0;
}

struct botocore_signature {
  std::string authorization;
  std::string canonical_request;
  std::string string_to_sign;
};

struct signing_case {
  std::string name;
  std::string scheme;  // "http" or "https"
  std::string host_header;
  http_request request;
  credentials creds;
  signing_scope scope;
};

// Signs `c` with botocore in a child Python at `now` (whole seconds, UTC).
botocore_signature sign_with_botocore(const signing_case& c,
                                      std::chrono::system_clock::time_point now) {
  json_writer spec;
  spec.begin_object()
      .member("method", c.request.method)
      .member("url", c.scheme + "://" + c.host_header + c.request.target)
      .key("headers")
      .begin_array();
  for (const auto& [name, value] : c.request.headers) {
    spec.begin_array().string(name).string(value).end_array();
  }
  spec.end_array()
      .member("body_hex", to_hex(c.request.body))
      .member("access_key", c.creds.access_key_id)
      .member("secret_key", c.creds.secret_access_key)
      .member("token", c.creds.session_token)
      .member("region", c.scope.region)
      .member("service", c.scope.service);
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  spec.member("timestamp", stamp).end_object();

  std::string path = (std::filesystem::temp_directory_path() / "spate-sigv4-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  std::ofstream(path) << spec.take();

  const std::string command =
      "/usr/bin/python3 " + std::string(SPATE_SOURCE_DIR) + "/tests/tools/botocore_sign.py " + path;
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    pclose(pipe);
  }
  std::filesystem::remove(path);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(output).get(doc)) throw std::runtime_error("botocore_sign.py: " + output);
  botocore_signature out;
  out.authorization = std::string(doc["authorization"].get_string().value());
  out.canonical_request = std::string(doc["canonical_request"].get_string().value());
  out.string_to_sign = std::string(doc["string_to_sign"].get_string().value());
  return out;
}

std::vector<signing_case> botocore_cases() {
  const credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const signing_scope kinesis{"us-west-2", "kinesis"};
  std::vector<signing_case> cases;

  auto kinesis_post = [](std::string action, std::string body) {
    http_request r = make_request("POST", "/");
    r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "Kinesis_20131202." + action}};
    r.body = std::move(body);
    return r;
  };

  cases.push_back(
      {"PutRecords", "https", "kinesis.us-west-2.amazonaws.com",
       kinesis_post("PutRecords",
                    R"({"StreamName":"orders","Records":[{"Data":"aGVsbG8=",)"
                    R"("PartitionKey":"pk-1"},{"Data":"d29ybGQ=","PartitionKey":"pk-2"}]})"),
       creds, kinesis});
  cases.push_back({"EmptyBody", "https", "kinesis.us-west-2.amazonaws.com",
                   kinesis_post("ListStreams", ""), creds, kinesis});
  cases.push_back({"Utf8Body", "https", "kinesis.us-west-2.amazonaws.com",
                   kinesis_post("PutRecord",
                                "{\"StreamName\":\"caf\xc3\xa9\",\"PartitionKey\":\"\xe2\x82\xac "
                                "\xf0\x9f\x98\x80\",\"Data\":\"AA==\"}"),
                   creds, kinesis});
  {
    credentials temporary = creds;
    temporary.session_token =
        "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token==";
    cases.push_back({"SessionToken", "https", "kinesis.us-west-2.amazonaws.com",
                     kinesis_post("DescribeStreamSummary", R"({"StreamName":"orders"})"), temporary,
                     kinesis});
  }
  cases.push_back({"HostWithPort",
                   "http",
                   "127.0.0.1:4567",
                   kinesis_post("ListShards", R"({"StreamName":"orders"})"),
                   creds,
                   {"us-east-1", "kinesis"}});
  cases.push_back({"HostNameWithPort", "https", "localhost:8443",
                   kinesis_post("ListShards", R"({"StreamName":"orders"})"), creds, kinesis});
  cases.push_back({"GetWithQuery",
                   "https",
                   "example.amazonaws.com",
                   make_request("GET",
                                "/?Zeta=last&alpha=1&Alpha=0&alpha=0&name=hello%20world&"
                                "slash=a%2Fb&tilde=x~y&empty="),
                   creds,
                   {"eu-central-1", "execute-api"}});
  {
    http_request r = make_request("GET", "/a/./b/../c//d%3A1/caf%C3%A9/");
    cases.push_back({"PathNormalizedAndEncodedTwice",
                     "https",
                     "example.amazonaws.com",
                     r,
                     creds,
                     {"us-east-1", "service"}});
  }
  {
    http_request r = kinesis_post("PutRecords", "{}");
    r.headers.push_back({"My-Header", "  spaced   out \t value  "});
    r.headers.push_back({"X-Repeated", "one"});
    r.headers.push_back({"x-repeated", "two"});
    r.headers.push_back({"User-Agent", "spate-client/0.1"});
    r.headers.push_back({"Expect", "100-continue"});
    r.headers.push_back({"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"});
    cases.push_back({"HeadersTrimmedJoinedAndBlacklisted", "https",
                     "kinesis.us-west-2.amazonaws.com", r, creds, kinesis});
  }
  {
    http_request r = kinesis_post("ListStreams", "{}");
    r.headers.push_back({"Authorization", "stale"});
    r.headers.push_back({"X-Amz-Date", "19990101T000000Z"});
    cases.push_back({"StaleAuthorizationAndDateReplaced", "https",
                     "kinesis.us-west-2.amazonaws.com", r, creds, kinesis});
  }
  {
    http_request r = kinesis_post("ListStreams", "{}");
    r.headers.push_back({"Date", "Mon, 01 Jan 1999 00:00:00 GMT"});
    cases.push_back({"DateHeaderInsteadOfAmzDate", "https", "kinesis.us-west-2.amazonaws.com", r,
                     creds, kinesis});
  }
  {
    http_request r = kinesis_post("ListStreams", "{}");
    r.headers.push_back({"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"});
    cases.push_back(
        {"GivenPayloadHash", "https", "kinesis.us-west-2.amazonaws.com", r, creds, kinesis});
  }
  {
    http_request r = kinesis_post("ListStreams", "{}");
    r.headers.push_back({"Host", "Other.Example.com"});
    cases.push_back({"RequestCarriesItsOwnHost", "https", "kinesis.us-west-2.amazonaws.com", r,
                     creds, kinesis});
  }
  return cases;
}

TEST(SigV4, MatchesBotocore) {
  if (!botocore_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import botocore";
  const auto now = std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + 23h + 59min + 58s;
  for (const signing_case& c : botocore_cases()) {
    SCOPED_TRACE(c.name);
    const botocore_signature expected = sign_with_botocore(c, now);
    const signature_parts ours = compute_signature(c.request, c.host_header, c.creds, c.scope, now);
    EXPECT_EQ(ours.canonical_request, expected.canonical_request);
    EXPECT_EQ(ours.string_to_sign, expected.string_to_sign);
    EXPECT_EQ(ours.authorization, expected.authorization);

    http_request signed_request = c.request;
    sign_request(signed_request, c.host_header, c.creds, c.scope, now);
    EXPECT_EQ(header_value(signed_request, "Authorization"), expected.authorization);
  }
}

// The Host header the transport sends (parse_endpoint) is the one botocore signs for the same
// endpoint URL, default ports left out.
TEST(SigV4, EndpointHostHeaderMatchesBotocore) {
  if (!botocore_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import botocore";
  const credentials creds{"AKIDEXAMPLE", "secret", ""};
  const std::vector<std::string> endpoints = {"http://127.0.0.1:4567",
                                              "http://localhost:80",
                                              "https://Kinesis.US-West-2.amazonaws.com:443",
                                              "https://localhost:4567/",
                                              "http://[::1]:4567",
                                              "https://[::1]"};
  for (const std::string& url : endpoints) {
    SCOPED_TRACE(url);
    const auto ep = parse_endpoint(url);
    ASSERT_TRUE(ep.ok()) << ep.err().to_string();
    signing_case c{"endpoint",      ep->tls ? "https" : "http",
                   ep->host_header, make_request("POST", "/"),
                   creds,           {"us-east-1", "kinesis"}};
    // botocore derives Host from the URL exactly as written (port included).
    std::string written = url.substr(url.find("://") + 3);
    if (written.ends_with('/')) written.pop_back();
    c.host_header = written;
    const botocore_signature expected = sign_with_botocore(c, suite_time);
    const auto ours = compute_signature(c.request, ep->host_header, creds, c.scope, suite_time);
    EXPECT_EQ(ours.canonical_request, expected.canonical_request);
  }
}

}  // namespace
}  // namespace spate::client::detail
