// router: health, metrics and Kinesis requests.
#include "server/router.h"

#include "api/errors.h"
#include "common/log.h"

#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <memory>
#include <random>

namespace spate::server {
namespace {

response make_response(const request& req, unsigned status, std::string content_type,
                       std::string body) {
  response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "spated");
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// A random (version 4) UUID, as AWS puts in x-amzn-RequestId.
std::string request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t hi = random(), lo = random();
  char id[40];
  std::snprintf(id, sizeof id, "%08llx-%04llx-4%03llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xfff),
                static_cast<unsigned long long>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return id;
}

response error_response(const request& req, const api::api_error& e) {
  auto answer = api::encode_error(e, req[http::field::content_type]);  // in the request's codec
  response res =
      make_response(req, e.status, std::move(answer.content_type), std::move(answer.body));
  res.set("x-amzn-RequestId", request_id());
  return res;
}

}  // namespace

router::router(api::dispatcher& dispatcher, metrics& metrics,
               std::shared_ptr<const sigv4_verifier> auth)
    : dispatcher_(dispatcher), metrics_(metrics), auth_(std::move(auth)) {}

bool router::is_subscription(const request& req) {
  const auto target = req.target();
  return req.method() == http::verb::get && boost::beast::websocket::is_upgrade(req) &&
         (target == "/v1/subscribe" || target.starts_with("/v1/subscribe?"));
}

bool router::is_push_request(const request& req) {
  return req.method() == http::verb::post && req["X-Amz-Target"].ends_with(".SubscribeToShard");
}

std::variant<std::shared_ptr<api::websocket_feed>, response> router::subscribe(const request& req) {
  std::string target(req.target());
  if (auth_) {
    if (auto rejected = auth_->verify(req)) {
      log::debug("subscription rejected: {}", rejected->type);
      response res = error_response(req, *rejected);
      res.keep_alive(false);
      return res;
    }
    target = sigv4_verifier::strip_presign_parameters(target);
  }
  auto feed = api::websocket_feed::open(dispatcher_.context(), target);
  if (auto* opened = std::get_if<std::shared_ptr<api::websocket_feed>>(&feed)) {
    return std::move(*opened);
  }
  const auto& e = std::get<api::api_error>(feed);
  response res = make_response(req, e.status, "application/x-amz-json-1.1", api::error_body(e));
  res.keep_alive(false);
  return res;
}

void router::route(request&& req, std::function<void(response_fn)> done) {
  auto ready = [&done](response res) {
    done([res = std::move(res)]() mutable { return routed{std::move(res), nullptr}; });
  };
  if (req.method() == http::verb::get && req.target() == "/healthz") {
    return ready(make_response(req, 200, "text/plain", "ok\n"));
  }
  if (req.method() == http::verb::get && req.target() == "/metrics") {
    return ready(make_response(req, 200, "text/plain; version=0.0.4", metrics_.render()));
  }
  if (req.method() != http::verb::post) {
    return ready(make_response(
        req, 403, "application/xml",
        "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
        "authorized</Message>\n</AccessDeniedException>\n"));
  }
  const auto started = std::chrono::steady_clock::now();
  if (auth_) {
    if (auto rejected = auth_->verify(req)) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      metrics_.request_done({}, true, micros);
      log::debug("- {} {} us ({})", rejected->status, micros, rejected->type);
      return ready(error_response(req, *rejected));
    }
  }
  auto owned = std::make_shared<request>(std::move(req));
  dispatcher_.handle(
      (*owned)["X-Amz-Target"], (*owned)[http::field::content_type], owned->body(),
      [this, owned, started, done = std::move(done)](api::dispatcher::encode_fn encode) {
        done([this, owned, started, encode = std::move(encode)] {
          api::http_reply reply = encode();
          const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
          metrics_.request_done(reply.action, reply.error, micros);
          log::debug("{} {} {} us", reply.action.empty() ? "-" : reply.action, reply.status,
                     micros);
          response res = make_response(*owned, reply.status, std::move(reply.content_type),
                                       std::move(reply.body));
          res.set("x-amzn-RequestId", request_id());
          return routed{std::move(res), std::move(reply.push)};
        });
      });
}

}  // namespace spate::server
