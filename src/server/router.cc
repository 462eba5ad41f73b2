// router: health, metrics, backups and Kinesis requests.
#include "server/router.h"

#include "api/errors.h"
#include "common/log.h"
#include "common/version.h"
#include "server/backup_archive.h"

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

response unavailable(const request& req, std::string message) {
  return error_response(req, api::service_unavailable(std::move(message)));
}

}  // namespace

router::router(api::dispatcher& dispatcher, metrics& metrics, budgets& budgets,
               admission& admission, router_options options)
    : dispatcher_(dispatcher),
      metrics_(metrics),
      budgets_(budgets),
      admission_(admission),
      options_(std::move(options)) {}

router::header_verdict router::check_header(const request& header, bool body_expected) {
  header_verdict verdict;
  const bool dashboard_request = options_.web && dashboard::is_dashboard_request(header);
  verdict.kinesis =
      dashboard_request ? dashboard::is_kinesis_call(header) : header.method() == http::verb::post;
  if (dashboard_request) {
    if (auto refused = options_.web->check_header(header)) {
      verdict.refusal = std::move(*refused);
      return verdict;
    }
  }
  if (!verdict.kinesis) return verdict;
  if (!dashboard_request && options_.origins && !options_.origins->allows(header, !options_.auth)) {
    // A browser page of an origin not listed (or a rebound name): it would need no CORS to
    // send this, being "same-origin" to the browser, so it is refused here.
    metrics_.request_done({}, true, 0);
    verdict.refusal = error_response(
        header, {"AccessDeniedException",
                 "Requests from this web origin are not allowed (spated --allow-origin).", 403});
    return verdict;
  }
  if (options_.auth && !dashboard_request) {
    if (auto rejected = options_.auth->check_headers(header)) {
      metrics_.request_done({}, true, 0);
      log::debug("- {} before the body ({})", rejected->status, rejected->type);
      verdict.refusal = error_response(header, *rejected);
      verdict.refusal->keep_alive(false);
      allow_origin(header, *verdict.refusal);
      verdict.close = true;  // an unauthenticated client gets nothing more on this connection
      return verdict;
    }
  }
  if (auto refused = api::dispatcher::check_envelope(
          header["X-Amz-Target"], header[http::field::content_type], body_expected)) {
    metrics_.request_done({}, true, 0);
    verdict.refusal = make_response(header, refused->status, std::move(refused->content_type),
                                    std::move(refused->body));
    allow_origin(header, *verdict.refusal);
  }
  return verdict;
}

std::optional<std::variant<response, dashboard::forward>> router::serve_dashboard(
    const request& req) const {
  if (!options_.web || !dashboard::is_dashboard_request(req)) return std::nullopt;
  return options_.web->handle(req);
}

void router::allow_origin(const request& req, response& res) const {
  if (!options_.origins) return;
  const std::string_view origin = req[http::field::origin];
  if (origin.empty()) return;
  if (auto allowed = options_.origins->cors_origin(origin)) {
    origin_policy::add_cors_headers(res, *allowed);
  }
}

std::variant<memory_budget::reservation, response> router::reserve_body(
    const request& header, std::optional<std::uint64_t> length) {
  const std::uint64_t want = length ? *length : body_granule;
  if (want == 0) return memory_budget::reservation();
  if (auto granted = budgets_.requests.try_reserve(want)) return std::move(*granted);
  metrics_.request_done({}, true, 0);
  return body_refused(header);
}

void router::admit(session_executor executor, std::function<void(admission::ticket)> admitted,
                   std::function<void()> shed) {
  admission_.submit(executor, std::move(admitted), std::move(shed));
}

response router::overloaded(const request& header) {
  metrics_.request_done({}, true, 0);
  response res = unavailable(header, "The server is overloaded; retry later.");
  allow_origin(header, res);
  return res;
}

response router::body_refused(const request& header) {
  response res =
      unavailable(header, "The server is holding as many request bodies as it may; retry later.");
  allow_origin(header, res);
  return res;
}

bool router::is_subscription(const request& req) {
  const auto target = req.target();
  return req.method() == http::verb::get && boost::beast::websocket::is_upgrade(req) &&
         (target == "/v1/subscribe" || target.starts_with("/v1/subscribe?"));
}

bool router::is_push_request(const request& req) {
  return (req.method() == http::verb::post && req["X-Amz-Target"].ends_with(".SubscribeToShard")) ||
         is_backup_request(req);
}

bool router::is_backup_request(const request& req) {
  return req.method() == http::verb::get && req.target() == "/v1/backup";
}

router::routed router::backup(const request& req) {
  if (options_.origins && !options_.origins->allows(req, !options_.auth)) {
    return {
        error_response(req, {"AccessDeniedException",
                             "Backups cannot be taken from a web page of another origin.", 403}),
        nullptr,
        {}};
  }
  if (options_.auth) {
    if (auto rejected = options_.auth->verify(req))
      return {error_response(req, *rejected), nullptr, {}};
  }
  // A slot among max_backups, given back when the archive is gone (written or abandoned).
  if (backups_running_->fetch_add(1) >= max_backups) {
    backups_running_->fetch_sub(1);
    return {unavailable(req, "As many backups as the server takes at once are running; retry "
                             "when one has finished."),
            nullptr,
            {}};
  }
  std::shared_ptr<void> slot(nullptr,
                             [running = backups_running_](void*) { running->fetch_sub(1); });
  auto& engine = dispatcher_.context().engine;
  auto snapshot = engine.take_backup();
  if (!snapshot) {
    log::error("backup failed: {}", snapshot.error().message());
    return {
        error_response(req, {"InternalFailure",
                             "The backup could not be taken: " + snapshot.error().message(), 500}),
        nullptr,
        {}};
  }
  log::info("backup: {} files, {} bytes, to {}", snapshot->files().size(), snapshot->total_bytes(),
            req[http::field::user_agent]);
  response res = make_response(req, 200, "application/x-tar", "");
  res.set(http::field::content_disposition, "attachment; filename=\"spate-backup.tar\"");
  return {std::move(res),
          std::make_shared<backup_archive>(std::move(*snapshot), std::string(spate::version),
                                           engine.time().wall_ms(), std::move(slot)),
          {}};
}

std::variant<std::shared_ptr<api::websocket_feed>, response> router::subscribe(const request& req) {
  std::string target(req.target());
  if (options_.origins && !options_.origins->allows(req, !options_.auth)) {
    log::debug("subscription refused: Origin {}", req[http::field::origin]);
    response res = error_response(
        req, {"AccessDeniedException",
              "Subscriptions from this origin are not allowed (spated --allow-origin).", 403});
    res.keep_alive(false);
    return res;
  }
  // A dashboard page subscribes with its session cookie; other clients sign (presign) it.
  const bool dashboard_session = options_.web && options_.web->has_session(req);
  if (options_.auth && !dashboard_session) {
    if (auto rejected = options_.auth->verify(req)) {
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

void router::route(request&& req, session_executor executor,
                   std::function<void(response_fn)> done) {
  auto ready = [&done](response res) {
    done([res = std::move(res)]() mutable { return routed{std::move(res), nullptr, {}}; });
  };
  if (req.method() == http::verb::get && req.target() == "/healthz") {
    return ready(make_response(req, 200, "text/plain", "ok\n"));
  }
  if (req.method() == http::verb::get && req.target() == "/metrics") {
    if (options_.metrics_auth && options_.auth) {
      if (auto rejected = options_.auth->verify(req)) return ready(error_response(req, *rejected));
    }
    return ready(make_response(req, 200, "text/plain; version=0.0.4", metrics_.render()));
  }
  if (req.method() == http::verb::options && options_.origins) {
    return ready(options_.origins->preflight(req));
  }
  if (is_backup_request(req)) {
    auto owned = std::make_shared<request>(std::move(req));
    return done([this, owned] { return backup(*owned); });
  }
  auto page = serve_dashboard(req);
  if (page && std::holds_alternative<response>(*page)) {
    return ready(std::get<response>(std::move(*page)));
  }
  const bool signed_request = !page;  // a Kinesis call of the page is under its session
  if (req.method() != http::verb::post) {
    return ready(make_response(
        req, 403, "application/xml",
        "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
        "authorized</Message>\n</AccessDeniedException>\n"));
  }
  // Kinesis work waits for its turn; a request shed meanwhile is answered 503.
  auto owned = std::make_shared<request>(std::move(req));
  auto shared_done = std::make_shared<std::function<void(response_fn)>>(std::move(done));
  admission_.submit(
      executor,
      [this, owned, shared_done, signed_request](admission::ticket slot) {
        dispatch(owned, std::move(*shared_done), signed_request);
        slot.release();  // the synchronous work is done; the commit is not waited for
      },
      [this, owned, shared_done] {
        response res = overloaded(*owned);  // with its CORS headers
        (*shared_done)([res = std::move(res)]() mutable {
          return routed{std::move(res), nullptr, {}};
        });
      });
}

void router::route(request&& req, admission::ticket admitted,
                   std::function<void(response_fn)> done) {
  auto page = serve_dashboard(req);
  if (page && std::holds_alternative<response>(*page)) {
    admitted.release();
    done([res = std::get<response>(std::move(*page))]() mutable {
      return routed{std::move(res), nullptr, {}};
    });
    return;
  }
  const bool signed_request = !page;  // a Kinesis call of the page is under its session
  dispatch(std::make_shared<request>(std::move(req)), std::move(done), signed_request);
  admitted.release();
}

void router::dispatch(std::shared_ptr<request> owned, std::function<void(response_fn)> done,
                      bool signed_request) {
  auto ready = [&done](response res) {
    done([res = std::move(res)]() mutable { return routed{std::move(res), nullptr, {}}; });
  };
  const auto started = std::chrono::steady_clock::now();
  if (options_.auth && signed_request) {
    if (auto rejected = options_.auth->verify(*owned)) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      metrics_.request_done({}, true, micros);
      log::debug("- {} {} us ({})", rejected->status, micros, rejected->type);
      response res = error_response(*owned, *rejected);
      allow_origin(*owned, res);
      return ready(std::move(res));
    }
  }
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
          allow_origin(*owned, res);
          // The answer's bytes count against the response budget until it is written.
          memory_budget::reservation held;
          if (reply.reserved) {
            held = std::move(*reply.reserved);
          } else {
            held = budgets_.responses.charge(res.body().size());
          }
          return routed{std::move(res), std::move(reply.push), std::move(held)};
        });
      });
}

}  // namespace spate::server
