// Tests of the SigV4 verifier: requests botocore signed (fixed vectors, made with
// tests/tools/botocore_sign.py and SigV4QueryAuth at 2015-08-30T12:36:00Z) pass; then each
// field of such a request is tampered with on its own and must fail with the error type and
// message Kinesis gives; clock skew is checked at both limits, both ways. Variants botocore
// cannot sign (wrong scopes, missing headers) come from a helper shown to sign as botocore does.
#include "server/sigv4_verifier.h"

#include "common/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace spate::server {
namespace {

using namespace std::chrono_literals;
using request = sigv4_verifier::request;

// 2015-08-30T12:36:00Z, the time of AWS's SigV4 test suite.
const std::chrono::system_clock::time_point suite_time =
    std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;
constexpr const char* suite_stamp = "20150830T123600Z";
constexpr const char* akid = "AKIDEXAMPLE";
constexpr const char* secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* host = "127.0.0.1:4567";
constexpr const char* put_body = R"({"StreamName":"s","Data":"aGk=","PartitionKey":"k"})";
constexpr std::string_view mismatch_prefix =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

class SigV4VerifierTest : public testing::Test {
 protected:
  SigV4VerifierTest() : verifier_(make_keys(), make_options()) {}

  // The keys, parsed as the server parses its credentials file. GCC 12 warns
  // (-Wfree-nonheap-object) that destroying the parse result frees a string it never
  // allocated; it does not (the result holds the store, not the string), so the warning is
  // off here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
  static credential_store make_keys() {
    const std::string text = std::string(akid) + " " + secret + "\nAKIDOTHER other\n";
    auto parsed = credential_store::parse(text);
    if (const auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error(*error);
    return std::get<credential_store>(std::move(parsed));
  }
#pragma GCC diagnostic pop
  sigv4_options make_options() {
    sigv4_options o;
    o.region = "us-east-1";
    o.clock = [this] { return suite_time + offset_; };
    return o;
  }

  // A PutRecord as boto3 sends it, before signing.
  static request put_record() {
    request req{http::verb::post, "/", 11};
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/x-amz-json-1.1");
    req.set("X-Amz-Target", "Kinesis_20131202.PutRecord");
    req.body() = put_body;
    return req;
  }

  // Signs `req` as of `stamp` over `names` (lower-case, sorted), with the common pieces, and
  // sets X-Amz-Date and Authorization. `scope_override` replaces date/region/service/term.
  static void sign(request& req, std::string key_id = akid, std::string key = secret,
                   std::string stamp = suite_stamp,
                   std::vector<std::string> names = {"content-type", "host", "x-amz-date",
                                                     "x-amz-target"},
                   std::string scope_override = {}) {
    req.set("X-Amz-Date", stamp);
    std::vector<sigv4::header> headers;
    for (const auto& n : names) {
      const auto it = req.find(n);
      headers.emplace_back(n, it == req.end() ? "" : sigv4::trim_all(it->value()));
    }
    const std::string target(req.target());
    const auto q = target.find('?');
    const std::string canonical = sigv4::canonical_request(
        std::string(req.method_string()), sigv4::canonical_uri(target.substr(0, q)),
        sigv4::canonical_query(q == std::string::npos ? "" : target.substr(q + 1)),
        sigv4::canonical_headers(headers), sigv4::signed_header_names(headers),
        sigv4::sha256_hex(req.body()));
    const std::string date = stamp.substr(0, 8);
    const std::string scope = scope_override.empty()
                                  ? sigv4::credential_scope(date, "us-east-1", "kinesis")
                                  : scope_override;
    const std::string sts = sigv4::string_to_sign(stamp, scope, canonical);
    const std::string sig =
        sigv4::signature(sigv4::signing_key(key, date, "us-east-1", "kinesis"), sts);
    req.set(http::field::authorization,
            "AWS4-HMAC-SHA256 Credential=" + key_id + "/" + scope +
                ", SignedHeaders=" + sigv4::signed_header_names(headers) + ", Signature=" + sig);
  }

  // put_record() as botocore's SigV4Auth signed it (tests/tools/botocore_sign.py at
  // suite_stamp with `key_id`'s key): the good request every tampering test starts from, so
  // that none of them rests on the signing code the verifier itself uses.
  // Only the two keys of make_keys() have a botocore signature; any other key id throws.
  static request botocore_signed_put_record(std::string_view key_id = akid) {
    request req = put_record();
    req.set("X-Amz-Date", suite_stamp);
    std::string_view signature;
    if (key_id == akid) {
      signature = "3d795207630097826330dc54f5942ee21ba93f8772a2283745616f3daf1c74d0";
    } else if (key_id == "AKIDOTHER") {
      signature = "5361a0900d139687ef2c98e042a30ca7a8d134fd670756af424e02e144041f23";
    } else {
      throw std::invalid_argument("no botocore signature for key id " + std::string(key_id));
    }
    req.set(http::field::authorization,
            "AWS4-HMAC-SHA256 Credential=" + std::string(key_id) +
                "/20150830/us-east-1/kinesis/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
                std::string(signature));
    return req;
  }

  void expect_error(const request& req, std::string_view type, std::string_view message = {}) {
    const auto e = verifier_.verify(req);
    ASSERT_TRUE(e.has_value()) << "accepted, expected " << type;
    EXPECT_EQ(e->type, type) << e->message;
    EXPECT_EQ(e->status, 400u);
    if (!message.empty()) {
      EXPECT_EQ(e->message, message);
    }
  }
  void expect_mismatch(const request& req) {
    const auto e = verifier_.verify(req);
    ASSERT_TRUE(e.has_value()) << "accepted, expected a signature mismatch";
    EXPECT_EQ(e->type, "InvalidSignatureException");
    EXPECT_TRUE(std::string_view(e->message).starts_with(mismatch_prefix)) << e->message;
  }
  void expect_ok(const request& req) {
    const auto e = verifier_.verify(req);
    EXPECT_FALSE(e.has_value()) << e->type << ": " << e->message;
  }

  std::chrono::seconds offset_{0};
  sigv4_verifier verifier_;
};

// --- good requests --------------------------------------------------------------------------

TEST_F(SigV4VerifierTest, BotocoreSignedPutRecordPasses) {
  request req = botocore_signed_put_record();
  expect_ok(req);
  expect_ok(req);  // the second time from the signing-key cache
  expect_ok(botocore_signed_put_record("AKIDOTHER"));
}

// The helper that signs the variants botocore cannot make (other scopes, other signed headers,
// unknown keys) signs exactly as botocore does where botocore can: same headers, same bytes.
TEST_F(SigV4VerifierTest, TheTestSigningHelperAgreesWithBotocore) {
  for (const char* key_id : {akid, "AKIDOTHER"}) {
    request ours = put_record();
    sign(ours, key_id, key_id == std::string_view(akid) ? secret : "other");
    const request botocore = botocore_signed_put_record(key_id);
    EXPECT_EQ(ours[http::field::authorization], botocore[http::field::authorization]) << key_id;
    EXPECT_EQ(ours["X-Amz-Date"], botocore["X-Amz-Date"]);
  }
}

TEST_F(SigV4VerifierTest, BotocorePresignedSubscriptionPasses) {
  request req{http::verb::get,
              "/v1/subscribe?stream=s&from=LATEST&X-Amz-Algorithm=AWS4-HMAC-SHA256"
              "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fkinesis%2Faws4_request"
              "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
              "&X-Amz-Signature=007107208f002fdeec9741f26a5569eb8abced251ad2370b137851d7d0048c26",
              11};
  req.set(http::field::host, host);
  req.set(http::field::upgrade, "websocket");
  expect_ok(req);

  request other_stream = req;
  other_stream.target(
      std::string(req.target()).replace(std::string(req.target()).find("stream=s"), 8, "stream=t"));
  expect_mismatch(other_stream);

  offset_ = 301s;  // X-Amz-Expires=300
  expect_error(req, "InvalidSignatureException",
               "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
               "(20150830T124101Z - 5 min.)");
}

TEST_F(SigV4VerifierTest, SignedHeaderValuesAreTrimmedAndCollapsed) {
  request req = botocore_signed_put_record();
  req.set(http::field::content_type, "  application/x-amz-json-1.1 \t ");
  expect_ok(req);
  req.set("X-Amz-Target", "Kinesis_20131202. PutRecord");
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, UnsignedHeadersMayChange) {
  request req = botocore_signed_put_record();
  req.set(http::field::user_agent, "anything");
  req.set("X-Extra", "added after signing");
  expect_ok(req);
}

TEST_F(SigV4VerifierTest, DateHeaderMayCarryTheTime) {
  request req = put_record();
  req.set(http::field::date, "Sun, 30 Aug 2015 12:36:00 GMT");
  sign(req, akid, secret, suite_stamp, {"content-type", "date", "host", "x-amz-target"});
  req.erase("X-Amz-Date");
  expect_ok(req);
}

// --- tampering after signing ------------------------------------------------------------------

TEST_F(SigV4VerifierTest, TamperedBodyFails) {
  request req = botocore_signed_put_record();
  req.body() = R"({"StreamName":"s","Data":"aGl=","PartitionKey":"k"})";
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, TamperedSignedHeaderFails) {
  request req = botocore_signed_put_record();
  req.set("X-Amz-Target", "Kinesis_20131202.DeleteStream");
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, TamperedHostFails) {
  request req = botocore_signed_put_record();
  req.set(http::field::host, "127.0.0.1:4568");
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, TamperedPathQueryOrMethodFails) {
  request path = botocore_signed_put_record();
  path.target("/other");
  expect_mismatch(path);
  request query = botocore_signed_put_record();
  query.target("/?a=b");
  expect_mismatch(query);
  request method = botocore_signed_put_record();
  method.method(http::verb::put);
  expect_mismatch(method);
}

TEST_F(SigV4VerifierTest, TamperedSignatureFails) {
  request req = botocore_signed_put_record();
  std::string auth(req[http::field::authorization]);
  auth.back() = auth.back() == '0' ? '1' : '0';
  req.set(http::field::authorization, auth);
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, TamperedDateFails) {
  request req = botocore_signed_put_record();
  req.set("X-Amz-Date", "20150830T123601Z");
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, MismatchShowsCanonicalRequestAndStringToSign) {
  request req = put_record();
  sign(req, akid, "wrong secret");
  const auto e = verifier_.verify(req);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message,
            std::string(mismatch_prefix) +
                "\n\nThe Canonical String for this request should have been\n'"
                "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:4567\n"
                "x-amz-date:20150830T123600Z\nx-amz-target:Kinesis_20131202.PutRecord\n\n"
                "content-type;host;x-amz-date;x-amz-target\n"
                "f043a25c45f6f96ddc7659c71587e0129e80056322d1f7b421ae48437a9a62ef'\n\n"
                "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n"
                "20150830/us-east-1/kinesis/aws4_request\n"
                "72bf5981b897fcd4296b6ce550cdcd9a3d28a9ff47cc66a651a4197e35d5645f'\n");
}

TEST_F(SigV4VerifierTest, ContentSha256HeaderCannotReplaceTheBodyHash) {
  request req = put_record();
  req.set("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  sign(req);  // signs over the body's hash; the header is not signed
  expect_ok(req);
  req.body() = "{}";  // the header does not make the body free to change
  expect_mismatch(req);
}

// --- who signed -------------------------------------------------------------------------------

TEST_F(SigV4VerifierTest, UnknownKeyIsUnrecognizedClient) {
  request req = put_record();
  sign(req, "AKIDUNKNOWN", secret);
  expect_error(req, "UnrecognizedClientException",
               "The security token included in the request is invalid.");
}

TEST_F(SigV4VerifierTest, SecondKeyInTheFileIsAccepted) {
  request req = botocore_signed_put_record("AKIDOTHER");
  expect_ok(req);
  sign(req, "AKIDOTHER", secret);
  expect_mismatch(req);
}

TEST_F(SigV4VerifierTest, SecurityTokenIsUnrecognized) {
  request req = put_record();
  req.set("X-Amz-Security-Token", "token");
  sign(req, akid, secret, suite_stamp,
       {"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"});
  expect_error(req, "UnrecognizedClientException");
}

// --- missing or malformed parts -----------------------------------------------------------------

TEST_F(SigV4VerifierTest, NoAuthorizationIsMissingAuthenticationToken) {
  expect_error(put_record(), "MissingAuthenticationTokenException", "Missing Authentication Token");
  request basic = put_record();
  basic.set(http::field::authorization, "Basic dXNlcjpwYXNz");
  expect_error(basic, "MissingAuthenticationTokenException");
}

TEST_F(SigV4VerifierTest, TruncatedAuthorizationIsIncomplete) {
  request req = botocore_signed_put_record();
  const std::string auth(req[http::field::authorization]);
  const std::string truncated = auth.substr(0, auth.find(", Signature="));
  req.set(http::field::authorization, truncated);
  expect_error(req, "IncompleteSignatureException",
               "Authorization header requires 'Signature' parameter. Authorization=" + truncated);
  req.set(http::field::authorization, "AWS4-HMAC-SHA256");
  expect_error(req, "IncompleteSignatureException",
               "Authorization header requires 'Credential' parameter. Authorization header "
               "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
               "parameter. Authorization=AWS4-HMAC-SHA256");
}

TEST_F(SigV4VerifierTest, MissingDateIsIncomplete) {
  request req = botocore_signed_put_record();
  req.erase("X-Amz-Date");
  expect_error(req, "IncompleteSignatureException",
               "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
               "header. Authorization=" +
                   std::string(req[http::field::authorization]));
}

TEST_F(SigV4VerifierTest, MalformedDateIsIncomplete) {
  request req = botocore_signed_put_record();
  req.set("X-Amz-Date", "2015-08-30T12:36:00Z");
  expect_error(req, "IncompleteSignatureException",
               "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
               "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_F(SigV4VerifierTest, UnsupportedAlgorithmIsIncomplete) {
  request req = botocore_signed_put_record();
  std::string auth(req[http::field::authorization]);
  auth.replace(0, 16, "AWS4-HMAC-SHA512");
  req.set(http::field::authorization, auth);
  expect_error(req, "IncompleteSignatureException",
               "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
}

TEST_F(SigV4VerifierTest, ShortCredentialIsIncomplete) {
  request req = put_record();
  sign(req, akid, secret, suite_stamp, {"content-type", "host", "x-amz-date", "x-amz-target"},
       "20150830/us-east-1/kinesis");
  expect_error(req, "IncompleteSignatureException",
               "Credential must have exactly 5 slash-delimited elements, e.g. "
               "keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/kinesis'");
}

// --- scope, signed headers and time -------------------------------------------------------------

TEST_F(SigV4VerifierTest, WrongScopeIsInvalidSignature) {
  const std::vector<std::string> names{"content-type", "host", "x-amz-date", "x-amz-target"};
  request region = put_record();
  sign(region, akid, secret, suite_stamp, names, "20150830/eu-west-1/kinesis/aws4_request");
  expect_error(region, "InvalidSignatureException",
               "Credential should be scoped to a valid region, not 'eu-west-1'.");
  request service = put_record();
  sign(service, akid, secret, suite_stamp, names, "20150830/us-east-1/dynamodb/aws4_request");
  expect_error(service, "InvalidSignatureException",
               "Credential should be scoped to correct service: 'kinesis'.");
  request term = put_record();
  sign(term, akid, secret, suite_stamp, names, "20150830/us-east-1/kinesis/aws5_request");
  expect_error(term, "InvalidSignatureException",
               "Credential should be scoped with a valid terminator: 'aws4_request', not "
               "'aws5_request'.");
  request date = put_record();
  sign(date, akid, secret, suite_stamp, names, "20150829/us-east-1/kinesis/aws4_request");
  expect_error(date, "InvalidSignatureException",
               "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
               "from HTTP: '20150829' != '20150830', from '20150830T123600Z'.");
  request all = put_record();
  sign(all, akid, secret, suite_stamp, names, "20150829/eu-west-1/s3/x");
  expect_error(all, "InvalidSignatureException",
               "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should "
               "be scoped to correct service: 'kinesis'. Credential should be scoped with a valid "
               "terminator: 'aws4_request', not 'x'. Date in Credential scope does not match "
               "YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '20150830', from "
               "'20150830T123600Z'.");
}

TEST_F(SigV4VerifierTest, HostMustBeSigned) {
  request req = put_record();
  sign(req, akid, secret, suite_stamp, {"content-type", "x-amz-date", "x-amz-target"});
  expect_error(req, "InvalidSignatureException",
               "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(SigV4VerifierTest, AmzDateMustBeSigned) {
  request req = put_record();
  sign(req, akid, secret, suite_stamp, {"content-type", "host", "x-amz-target"});
  expect_error(req, "InvalidSignatureException",
               "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(SigV4VerifierTest, SkewUpToFiveMinutesEitherWayPasses) {
  const request req = botocore_signed_put_record();
  for (const auto offset : {-300s, -1s, 0s, 1s, 300s}) {
    offset_ = offset;
    expect_ok(req);
  }
}

TEST_F(SigV4VerifierTest, SignatureOlderThanFiveMinutesExpired) {
  offset_ = 301s;  // the server is 5 min 1 s ahead of the signer
  expect_error(botocore_signed_put_record(), "InvalidSignatureException",
               "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
               "(20150830T124101Z - 5 min.)");
}

TEST_F(SigV4VerifierTest, SignatureMoreThanFiveMinutesAheadNotYetCurrent) {
  offset_ = -301s;  // the signer's clock is 5 min 1 s ahead of the server's
  expect_error(botocore_signed_put_record(), "InvalidSignatureException",
               "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
               "(20150830T123059Z + 5 min.)");
}

TEST_F(SigV4VerifierTest, SkewIsCheckedBeforeTheKey) {
  request req = put_record();
  sign(req, "AKIDUNKNOWN", secret);
  offset_ = 3600s;
  expect_error(req, "InvalidSignatureException");
}

// --- presigned query strings
// ----------------------------------------------------------------------

TEST_F(SigV4VerifierTest, HeaderAndQueryTogetherAreRejected) {
  request req = botocore_signed_put_record();
  req.target("/?X-Amz-Algorithm=AWS4-HMAC-SHA256");
  expect_error(req, "InvalidSignatureException",
               "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
               "header.");
}

TEST_F(SigV4VerifierTest, IncompletePresignedQueryIsIncomplete) {
  request req{http::verb::get, "/v1/subscribe?stream=s&X-Amz-Algorithm=AWS4-HMAC-SHA256", 11};
  req.set(http::field::host, host);
  expect_error(req, "IncompleteSignatureException",
               "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
               "parameters must include 'X-Amz-Signature'. AWS query-string parameters must "
               "include 'X-Amz-SignedHeaders'. AWS query-string parameters must include "
               "'X-Amz-Date'. Re-examine the query-string parameters.");
}

TEST_F(SigV4VerifierTest, StripPresignParametersKeepsTheRest) {
  EXPECT_EQ(sigv4_verifier::strip_presign_parameters(
                "/v1/subscribe?stream=s&X-Amz-Algorithm=A&from=LATEST&X-Amz-Signature=x"),
            "/v1/subscribe?stream=s&from=LATEST");
  EXPECT_EQ(sigv4_verifier::strip_presign_parameters("/v1/subscribe?X-Amz-Date=1"),
            "/v1/subscribe");
  EXPECT_EQ(sigv4_verifier::strip_presign_parameters("/v1/subscribe"), "/v1/subscribe");
}

}  // namespace
}  // namespace spate::server
