// resolve_options: the standard AWS environment variables fill what the application left empty,
// explicit options win over them, and Spate's defaults apply when neither is set.
#include <spate/client/options.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace spate::client {
namespace {

// Every variable resolve_options reads. The fixture unsets them all for the test and puts the
// values the process had back afterwards, so tests neither see nor leak each other's settings.
constexpr const char* aws_variables[] = {
    "AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL",      "AWS_REGION",       "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};

class ResolveOptions : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : aws_variables) {
      const char* v = std::getenv(name);
      saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  static void set(const char* name, const char* value) { ::setenv(name, value, 1); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(ResolveOptions, DefaultsWhenNothingIsSet) {
  auto o = resolve_options({});
  EXPECT_EQ(o.endpoint, default_endpoint);
  EXPECT_EQ(o.region, default_region);
  EXPECT_EQ(o.creds.access_key_id, "spate-local");
  EXPECT_EQ(o.creds.secret_access_key, "spate-local-secret");
  EXPECT_EQ(o.creds.session_token, "");
}

TEST_F(ResolveOptions, EmptyFieldsComeFromTheAwsEnvironment) {
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:9999");
  set("AWS_REGION", "eu-west-3");
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  set("AWS_SECRET_ACCESS_KEY", "secret-from-env");
  set("AWS_SESSION_TOKEN", "token-from-env");
  auto o = resolve_options({});
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:9999");
  EXPECT_EQ(o.region, "eu-west-3");
  EXPECT_EQ(o.creds.access_key_id, "AKIDENV");
  EXPECT_EQ(o.creds.secret_access_key, "secret-from-env");
  EXPECT_EQ(o.creds.session_token, "token-from-env");
}

TEST_F(ResolveOptions, ServiceSpecificEndpointWinsOverTheGeneralOne) {
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:1111");
  set("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:2222");
  EXPECT_EQ(resolve_options({}).endpoint, "http://127.0.0.1:2222");
}

TEST_F(ResolveOptions, RegionFallsBackToAwsDefaultRegion) {
  set("AWS_DEFAULT_REGION", "ap-south-1");
  EXPECT_EQ(resolve_options({}).region, "ap-south-1");
  set("AWS_REGION", "sa-east-1");  // AWS_REGION is asked first, as the SDKs do
  EXPECT_EQ(resolve_options({}).region, "sa-east-1");
}

TEST_F(ResolveOptions, EmptyVariablesCountAsUnset) {
  set("AWS_ENDPOINT_URL_KINESIS", "");
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:3333");
  set("AWS_REGION", "");
  set("AWS_ACCESS_KEY_ID", "");
  set("AWS_SECRET_ACCESS_KEY", "ignored-without-a-key-id");
  auto o = resolve_options({});
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:3333");
  EXPECT_EQ(o.region, default_region);
  EXPECT_EQ(o.creds.access_key_id, "spate-local");
  EXPECT_EQ(o.creds.secret_access_key, "spate-local-secret");
}

TEST_F(ResolveOptions, ExplicitOptionsWinOverTheEnvironment) {
  set("AWS_ENDPOINT_URL", "http://127.0.0.1:1111");
  set("AWS_REGION", "eu-west-3");
  set("AWS_ACCESS_KEY_ID", "AKIDENV");
  set("AWS_SECRET_ACCESS_KEY", "secret-from-env");
  set("AWS_SESSION_TOKEN", "token-from-env");
  client_options in;
  in.endpoint = "https://kinesis.example.test";
  in.region = "us-west-2";
  in.creds = {"AKIDOPT", "secret-from-options", ""};
  auto o = resolve_options(in);
  EXPECT_EQ(o.endpoint, "https://kinesis.example.test");
  EXPECT_EQ(o.region, "us-west-2");
  // The key pair is taken whole from one place: an explicit key id never gets the
  // environment's secret or session token mixed in.
  EXPECT_EQ(o.creds.access_key_id, "AKIDOPT");
  EXPECT_EQ(o.creds.secret_access_key, "secret-from-options");
  EXPECT_EQ(o.creds.session_token, "");
}

TEST_F(ResolveOptions, AtLeastOneAttempt) {
  client_options in;
  in.retry.max_attempts = 0;
  EXPECT_EQ(resolve_options(in).retry.max_attempts, 1);
  in.retry.max_attempts = 3;
  EXPECT_EQ(resolve_options(in).retry.max_attempts, 3);
}

}  // namespace
}  // namespace spate::client
