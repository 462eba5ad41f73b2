// The dashboard's server pieces without a socket: the latency histogram's buckets and
// percentiles, the ring buffers and the sampler's rates and memory bound (stats.h), the origin
// rules (origin_policy.h), and the dashboard's sessions, CSRF tokens and refusals
// (dashboard.h).
#include "server/stats.h"

#include "api/dispatcher.h"
#include "engine/engine.h"
#include "server/dashboard.h"
#include "server/latency_histogram.h"
#include "server/metrics.h"
#include "server/origin_policy.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <random>
#include <thread>

namespace spate::server {
namespace {

// ---- latency_histogram -------------------------------------------------------------------------

TEST(LatencyHistogram, EveryLatencyFallsInABucketWhoseBoundHoldsItWithin25Percent) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 100'000; ++i) {
    const std::int64_t micros = 1 + static_cast<std::int64_t>(random() % 10'000'000);
    const std::size_t b = latency_histogram::bucket(micros);
    const double bound = latency_histogram::upper_bound_micros(b);
    ASSERT_GE(bound, static_cast<double>(micros)) << micros;
    ASSERT_LE(bound, 1.25 * static_cast<double>(micros) + 1) << micros;
    if (b > 0) {
      ASSERT_LT(latency_histogram::upper_bound_micros(b - 1), micros) << micros;
    }
  }
}

TEST(LatencyHistogram, PercentilesComeFromTheDrainedSecondOnly) {
  latency_histogram h;
  for (int i = 0; i < 99; ++i) h.record(100);  // 0.1 ms
  h.record(50'000);                            // 50 ms
  const auto counts = h.drain();
  EXPECT_NEAR(latency_histogram::percentile_ms(counts, 0.5), 0.1, 0.02);
  EXPECT_NEAR(latency_histogram::percentile_ms(counts, 0.99), 0.1, 0.02);
  EXPECT_NEAR(latency_histogram::percentile_ms(counts, 1.0), 50.0, 10.0);
  EXPECT_LT(latency_histogram::percentile_ms(h.drain(), 0.5), 0);  // nothing since
}

// ---- sample_ring -------------------------------------------------------------------------------

TEST(SampleRing, KeepsTheNewestSamplesOldestFirst) {
  sample_ring ring(3);
  EXPECT_TRUE(ring.last(10).empty());
  for (int i = 1; i <= 5; ++i) ring.push(static_cast<float>(i));
  EXPECT_EQ(ring.last(10), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(ring.last(2), (std::vector<float>{4, 5}));
  EXPECT_EQ(ring.bytes(), 3 * sizeof(float));
}

// ---- stats -------------------------------------------------------------------------------------

class StatsTest : public ::testing::Test {
 protected:
  StatsTest() {
    spdlog::set_level(spdlog::level::warn);
    engine::engine_options options;
    options.data_dir = dir_.path();
    options.fsync = storage::fsync_policy::never;
    auto opened = engine::engine::open(options);
    EXPECT_TRUE(opened) << opened.error().message();
    engine_ = std::move(*opened);
  }

  void put(const std::string& stream, int records) {
    std::vector<std::string> keys;
    for (int i = 0; i < records; ++i) keys.push_back("key-" + std::to_string(i));
    std::vector<storage::record_input> in;
    for (const auto& k : keys) in.push_back({k, std::nullopt, "0123456789"});
    // --fsync never: the records are acknowledged before put() returns.
    ASSERT_TRUE(engine_->put(stream, in, [](std::vector<engine::put_result>&, std::uint32_t) {}));
  }

  simdjson::dom::element parse(const std::string& json) {
    auto doc = parser_.parse(json);
    EXPECT_FALSE(doc.error()) << json;
    return doc.value();
  }

  testutil::temp_dir dir_;
  std::unique_ptr<engine::engine> engine_;
  metrics metrics_{api::dispatcher::action_names()};
  api::reader_registry readers_;
  simdjson::dom::parser parser_;
};

TEST_F(StatsTest, RatesAreTheTrafficBetweenTwoSamples) {
  ASSERT_TRUE(engine_->create_stream("s", 2, metadata::stream_mode::provisioned, {}));
  stats numbers(*engine_, metrics_, readers_, {.version = "test"},
                {.interval = std::chrono::milliseconds(1000)});
  numbers.sample();
  put("s", 100);
  numbers.sample();
  auto detail = parse(std::get<std::string>(numbers.render_stream("s")));
  const double rate = double(detail["stream"]["in"]["records_per_s"]);
  EXPECT_GT(rate, 0);  // 100 records over however long the two samples were apart
  EXPECT_EQ(int64_t(detail["shards"].at(0)["records"]) + int64_t(detail["shards"].at(1)["records"]),
            100);
  auto history = detail["stream"]["history"]["records_in"].get_array();
  EXPECT_EQ(history.size(), 2u);
  // A third sample without traffic: the rate falls to zero, the history keeps the peak.
  numbers.sample();
  detail = parse(std::get<std::string>(numbers.render_stream("s")));
  EXPECT_EQ(double(detail["stream"]["in"]["records_per_s"]), 0.0);
  EXPECT_EQ(detail["stream"]["history"]["records_in"].get_array().size(), 3u);
}

// spated closes the engine when the server's run() returns; the sampler must be gone by then
// (a sample of a closed engine crashed spated on SIGTERM).
TEST_F(StatsTest, StopEndsTheSamplerBeforeItReturns) {
  stats numbers(*engine_, metrics_, readers_, {.version = "test"},
                {.interval = std::chrono::milliseconds(1)});
  numbers.start();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (numbers.samples_taken() < 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_GE(numbers.samples_taken(), 3u);
  numbers.stop();
  const auto taken = numbers.samples_taken();
  engine_->close();
  engine_.reset();
  // Fifty sampler intervals pass; a sampler still running would have taken samples.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  EXPECT_EQ(numbers.samples_taken(), taken);
  numbers.stop();  // a second stop is harmless
}

TEST_F(StatsTest, HistoriesStopAtTheirCapsAndComeBackWhenAStreamGoes) {
  stats numbers(*engine_, metrics_, readers_, {.version = "test"},
                {.points = 10, .max_stream_histories = 1, .max_shard_histories = 2});
  ASSERT_TRUE(engine_->create_stream("a", 2, metadata::stream_mode::provisioned, {}));
  ASSERT_TRUE(engine_->create_stream("b", 2, metadata::stream_mode::provisioned, {}));
  numbers.sample();
  // One stream and two shards got rings; the other stream shows rates only.
  const std::size_t ring = 10 * sizeof(float);
  EXPECT_EQ(numbers.memory_used(), ring * (5 + 2 * 4 + 8));
  EXPECT_EQ(numbers.memory_limit(), ring * (5 + 2 * 4 + 8));
  const bool a_has =
      !parse(std::get<std::string>(numbers.render_stream("a")))["stream"]["history"].error();
  const bool b_has =
      !parse(std::get<std::string>(numbers.render_stream("b")))["stream"]["history"].error();
  EXPECT_NE(a_has, b_has);
  ASSERT_TRUE(engine_->delete_stream(a_has ? "a" : "b"));
  engine_->run_due_work();
  numbers.sample();
  numbers.sample();
  EXPECT_FALSE(
      parse(std::get<std::string>(numbers.render_stream(a_has ? "b" : "a")))["stream"]["history"]
          .error());
}

TEST_F(StatsTest, AMissingStreamIsResourceNotFound) {
  stats numbers(*engine_, metrics_, readers_, {.version = "test"});
  auto missing = numbers.render_stream("nope");
  ASSERT_TRUE(std::holds_alternative<api::api_error>(missing));
  EXPECT_EQ(std::get<api::api_error>(missing).type, "ResourceNotFoundException");
  EXPECT_EQ(std::get<api::api_error>(missing).status, 404u);
}

TEST_F(StatsTest, TheOverviewListsEveryStream) {
  ASSERT_TRUE(engine_->create_stream("one", 1, metadata::stream_mode::provisioned, {}));
  stats numbers(*engine_, metrics_, readers_, {.version = "9.9", .data_dir = dir_.path()});
  numbers.sample();
  auto overview = parse(numbers.render_overview());
  EXPECT_EQ(std::string_view(overview["server"]["version"]), "9.9");
  EXPECT_EQ(std::string_view(overview["server"]["fsync"]), "never");
  EXPECT_EQ(std::string_view(overview["streams"].at(0)["name"]), "one");
  EXPECT_EQ(int64_t(overview["streams"].at(0)["open_shards"]), 1);
}

// ---- origin_policy -----------------------------------------------------------------------------

request browser_request(std::string_view host, std::string_view origin) {
  request req{http::verb::post, "/v1/kinesis", 11};
  req.set(http::field::host, host);
  if (!origin.empty()) req.set(http::field::origin, origin);
  return req;
}

TEST(OriginPolicy, SameOriginListedOriginsAndNonBrowsersAreAllowed) {
  auto made = origin_policy::make({"https://app.example.com/"});
  ASSERT_TRUE(std::holds_alternative<origin_policy>(made));
  const auto& policy = std::get<origin_policy>(made);
  EXPECT_TRUE(policy.allows(browser_request("127.0.0.1:4567", ""), true));
  EXPECT_TRUE(policy.allows(browser_request("127.0.0.1:4567", "http://127.0.0.1:4567"), true));
  EXPECT_TRUE(policy.allows(browser_request("127.0.0.1:4567", "https://APP.example.com"), true));
  EXPECT_FALSE(policy.allows(browser_request("127.0.0.1:4567", "http://127.0.0.1:4568"), true));
  EXPECT_FALSE(policy.allows(browser_request("127.0.0.1:4567", "null"), true));
  EXPECT_FALSE(
      policy.allows(browser_request("127.0.0.1:4567", "http://127.0.0.1:4567@evil"), true));
  // DNS rebinding: a name pointed at this server is its origin to the browser, not to us.
  const auto rebound = browser_request("rebound.example:4567", "http://rebound.example:4567");
  EXPECT_FALSE(policy.allows(rebound, true));
  EXPECT_TRUE(policy.allows(rebound, false));  // with authentication the name does not matter
  EXPECT_EQ(policy.cors_origin("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(policy.cors_origin("http://127.0.0.1:4567"), std::nullopt);  // same origin: no CORS
}

TEST(OriginPolicy, OnlyLoopbackNamesAddressesAndListedHostsAreTrustedHosts) {
  const auto policy = std::get<origin_policy>(origin_policy::make({"http://dash.internal:80"}));
  for (std::string_view host :
       {"127.0.0.1:4567", "localhost:4567", "[::1]:4567", "10.0.0.5", "dash.internal:4567"}) {
    EXPECT_TRUE(policy.trusted_host(browser_request(host, ""))) << host;
  }
  EXPECT_FALSE(policy.trusted_host(browser_request("rebound.example:4567", "")));
}

TEST(OriginPolicy, StarIsHonouredOnlyWhenListedAndBadEntriesAreRefused) {
  const auto star = std::get<origin_policy>(origin_policy::make({"*"}));
  EXPECT_EQ(star.cors_origin("https://any.example"), "*");
  EXPECT_TRUE(std::holds_alternative<std::string>(origin_policy::make({"app.example.com"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(origin_policy::make({"ftp://x"})));
  const auto none = std::get<origin_policy>(origin_policy::make({}));
  EXPECT_EQ(none.cors_origin("https://any.example"), std::nullopt);
  const auto refused = none.preflight(browser_request("127.0.0.1:1", "https://any.example"));
  EXPECT_EQ(refused.result(), http::status::forbidden);
  EXPECT_EQ(refused.count(http::field::access_control_allow_origin), 0u);
}

// ---- dashboard ---------------------------------------------------------------------------------

class DashboardTest : public ::testing::Test {
 protected:
  static const credential_store& keys() {
    static const auto parsed = credential_store::parse("AKIDTEST secret-one\n");
    return std::get<credential_store>(parsed);
  }

  dashboard make(dashboard_mode mode, bool auth) {
    return dashboard({.mode = mode, .keys = auth ? &keys() : nullptr, .version = "t"}, key_,
                     origins_, nullptr);
  }

  static request get(std::string_view target, std::string_view cookie = "") {
    request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1:4567");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    return req;
  }

  static request post(std::string_view target, std::string body, std::string_view csrf,
                      std::string_view cookie = "") {
    request req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1:4567");
    req.set("X-Spate-Csrf", csrf);
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  std::string session_cookie(const dashboard& d) {
    auto res = std::get<response>(d.handle(post(
        "/v1/login", R"({"accessKeyId":"AKIDTEST","secretAccessKey":"secret-one"})", "login")));
    EXPECT_EQ(res.result(), http::status::ok) << res.body();
    const std::string set = std::string(res[http::field::set_cookie]);
    return set.substr(0, set.find(';'));
  }

  std::string csrf_of(const dashboard& d, std::string_view cookie = "") {
    auto res = std::get<response>(d.handle(get("/v1/session", cookie)));
    simdjson::dom::parser parser;
    return std::string(std::string_view(parser.parse(res.body())["csrf"]));
  }

  engine::secret key_{"0123456789abcdef0123456789abcdef"};
  origin_policy origins_;
};

TEST_F(DashboardTest, ASessionComesOnlyFromAKnownKeyPairAndCannotBeForged) {
  const auto d = make(dashboard_mode::on, true);
  auto wrong = std::get<response>(d.handle(
      post("/v1/login", R"({"accessKeyId":"AKIDTEST","secretAccessKey":"nope"})", "login")));
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  EXPECT_EQ(wrong.count(http::field::set_cookie), 0u);
  const std::string cookie = session_cookie(d);
  EXPECT_TRUE(d.has_session(get("/v1/stats", cookie)));
  std::string forged = cookie;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(d.has_session(get("/v1/stats", forged)));
  // The expiry is under the MAC: a session cannot be lengthened.
  const auto dot = cookie.find('.');
  const std::string longer = cookie.substr(0, dot + 1) + "9" + cookie.substr(dot + 2);
  EXPECT_FALSE(d.has_session(get("/v1/stats", longer)));
  EXPECT_EQ(std::get<response>(d.handle(get("/v1/stats"))).result(), http::status::unauthorized);
}

TEST_F(DashboardTest, PostsNeedTheTokenOfTheirOwnSession) {
  const auto d = make(dashboard_mode::on, true);
  const std::string cookie = session_cookie(d);
  const std::string token = csrf_of(d, cookie);
  EXPECT_EQ(token.size(), 32u);
  request call = post("/v1/kinesis", "{}", token, cookie);
  call.set("X-Amz-Target", "Kinesis_20131202.ListShards");
  EXPECT_FALSE(d.check_header(call));
  EXPECT_TRUE(std::holds_alternative<dashboard::forward>(d.handle(call)));
  call.set("X-Spate-Csrf", csrf_of(make(dashboard_mode::on, false)));  // the anonymous token
  EXPECT_EQ(d.check_header(call)->result(), http::status::forbidden);
}

TEST_F(DashboardTest, ReadOnlyForwardsReadsAndRefusesWrites) {
  const auto d = make(dashboard_mode::read_only, false);
  const std::string token = csrf_of(d);
  request call = post("/v1/kinesis", "{}", token);
  call.set("X-Amz-Target", "Kinesis_20131202.DescribeStreamSummary");
  EXPECT_TRUE(std::holds_alternative<dashboard::forward>(d.handle(call)));
  call.set("X-Amz-Target", "Kinesis_20131202.DeleteStream");
  EXPECT_EQ(std::get<response>(d.handle(call)).result(), http::status::forbidden);
  call.set("X-Amz-Target", "Kinesis_20131202.PutRecords");  // never the page's
  EXPECT_EQ(std::get<response>(make(dashboard_mode::on, false).handle(call)).result(),
            http::status::forbidden);
}

TEST_F(DashboardTest, OffAnswers404AndLargeBodiesAreRefusedFromTheHeader) {
  EXPECT_EQ(make(dashboard_mode::off, false).check_header(get("/"))->result(),
            http::status::not_found);
  const auto d = make(dashboard_mode::on, false);
  request big = post("/v1/kinesis", "", csrf_of(d));
  big.content_length(dashboard::max_body_bytes + 1);
  EXPECT_EQ(d.check_header(big)->result(), http::status::payload_too_large);
  EXPECT_EQ(std::get<response>(d.handle(get("/"))).result(), http::status::ok);
}

}  // namespace
}  // namespace spate::server
