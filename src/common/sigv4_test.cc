// Tests of the shared SigV4 pieces against AWS's published SigV4 test suite (2015-08-30,
// get-vanilla and friends), plus the time formats and the constant-time comparison. The
// client's signer tests (src/client/sigv4_test.cc) check the same pieces against botocore.
#include "common/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>

namespace spate::sigv4 {
namespace {

using namespace std::chrono_literals;

const std::chrono::system_clock::time_point suite_time =
    std::chrono::sys_days{std::chrono::year{2015} / 8 / 30} + 12h + 36min;

TEST(SigV4Common, GetVanillaMatchesAwsTestSuite) {
  const std::vector<header> headers{{"host", "example.amazonaws.com"},
                                    {"x-amz-date", "20150830T123600Z"}};
  const std::string canonical =
      canonical_request("GET", canonical_uri("/"), canonical_query(""), canonical_headers(headers),
                        signed_header_names(headers), sha256_hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string scope = credential_scope("20150830", "us-east-1", "service");
  const std::string sts = string_to_sign("20150830T123600Z", scope, canonical);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  const std::string key =
      signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service");
  EXPECT_EQ(signature(key, sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Common, QueryIsDecodedEncodedAndSorted) {
  EXPECT_EQ(canonical_query("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(canonical_query("b=%7e&a=x y&c"), "a=x%20y&b=~&c=");
  EXPECT_EQ(canonical_query("X-Amz-Signature=abc&z=1", "X-Amz-Signature"), "z=1");
}

TEST(SigV4Common, PathIsNormalizedAndEncodedAgain) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");
}

TEST(SigV4Common, TrimAllCollapsesInnerWhiteSpace) {
  EXPECT_EQ(trim_all("  a \t b   c  "), "a b c");
  EXPECT_EQ(trim_all(" \t "), "");
}

TEST(SigV4Common, AmzTimestampRoundTrips) {
  EXPECT_EQ(amz_timestamp(suite_time), "20150830T123600Z");
  EXPECT_EQ(parse_amz_timestamp("20150830T123600Z"), suite_time);
  EXPECT_FALSE(parse_amz_timestamp("20150830T123600"));
  EXPECT_FALSE(parse_amz_timestamp("2015-08-30T12:36:00Z"));
  EXPECT_FALSE(parse_amz_timestamp("20150231T123600Z")) << "31 February";
  EXPECT_FALSE(parse_amz_timestamp("20150830T246000Z"));
  // Beyond what system_clock's nanoseconds hold (1677..2262): refused, not overflowed.
  EXPECT_FALSE(parse_amz_timestamp("24150830T123600Z"));
  EXPECT_FALSE(parse_amz_timestamp("00010101T000000Z"));
  EXPECT_TRUE(parse_amz_timestamp("22620101T000000Z"));
}

TEST(SigV4Common, HttpDatesInUtcParse) {
  EXPECT_EQ(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), suite_time);
  EXPECT_EQ(parse_http_date("Sun, 30 Aug 2015 12:36:00 -0000"), suite_time);
  EXPECT_FALSE(parse_http_date("Sun, 30 Aug 2015 12:36:00 +0200"));
  EXPECT_FALSE(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 30 Aug 30000 12:36:00 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT trailing"));
}

TEST(SigV4Common, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace spate::sigv4
