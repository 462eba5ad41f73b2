// spated: the Spate server. Parses flags (and a --config file), opens the engine on the data
// directory, tells systemd it is ready, serves the Kinesis API until SIGINT/SIGTERM, then
// drains, syncs and exits 0.
#include "app/config_file.h"
#include "common/directory_lock.h"
#include "common/log.h"
#include "common/version.h"
#include "engine/engine.h"
#include "metadata/catalog.h"
#include "metadata/errc.h"
#include "server/credentials.h"
#include "server/server.h"
#include "server/sigv4_verifier.h"
#include "storage/group_committer.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <thread>

namespace {

// Each connection is a descriptor; the usual soft limit (1024) is far below what the server
// is meant to hold, so raise it to the hard limit.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spate;
  CLI::App app{"spated: a Kinesis Data Streams compatible server with durable per-shard logs",
               "spated"};
  app.set_version_flag("--version",
                       fmt::format("spated {} (commit {})", spate::version, spate::commit));
  server::server_options net_options;
  engine::engine_options options;
  std::string fsync = "batch";
  std::string level = "info";
  std::int64_t read_timeout_ms = 60'000;
  std::int64_t idle_timeout_ms = 300'000;
  app.add_option("--host", net_options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", net_options.port, "TCP port for HTTP (Kinesis API, /healthz, /metrics)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory for the catalog and shard logs")
      ->capture_default_str();
  app.add_option("--fsync", fsync,
                 "When acknowledged records are on disk: batch (group commit, default), always "
                 "(one fdatasync per request) or never (written to the kernel only)")
      ->check(CLI::IsMember({"batch", "always", "never"}))
      ->capture_default_str();
  std::string group_sync = "volume";
  app.add_option("--group-sync", group_sync,
                 "How a --fsync batch round that covers several log files makes them durable: "
                 "volume (one syncfs of the data directory's file system) or file (one "
                 "fdatasync each, for a data directory on a file system that other programs "
                 "write much to: a syncfs waits for their data too)")
      ->check(CLI::IsMember({"volume", "file"}))
      ->capture_default_str();
  app.add_option("--threads", net_options.threads, "I/O threads (0: one per core)")
      ->capture_default_str();
  app.add_option("--shard-limit", options.shard_limit, "Open shards allowed across all streams")
      ->capture_default_str();
  app.add_option("--account-id", options.account_id, "Account id in ARNs and error messages")
      ->capture_default_str();
  app.add_option("--region", options.region, "Region in ARNs and error messages")
      ->capture_default_str();
  app.add_option("--create-stream-ms", options.create_stream_ms,
                 "Time a new stream stays CREATING before ACTIVE")
      ->capture_default_str();
  app.add_option("--delete-stream-ms", options.delete_stream_ms,
                 "Time a deleted stream stays DELETING before it is gone")
      ->capture_default_str();
  app.add_option("--update-stream-ms", options.update_stream_ms,
                 "Time a resharded or mode-changed stream stays UPDATING")
      ->capture_default_str();
  app.add_option("--iterator-ttl-ms", options.iterator_ttl_ms,
                 "Lifetime of shard iterators (AWS: 300000)")
      ->capture_default_str();
  app.add_option("--next-token-ttl-ms", options.next_token_ttl_ms,
                 "Lifetime of the NextTokens of ListStreams, ListShards and ListStreamConsumers; "
                 "an older one is ExpiredNextTokenException (AWS: 300000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
      ->capture_default_str();
  app.add_option("--retention-check-ms", options.retention_check_ms,
                 "How often expired log segments are removed")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
      ->capture_default_str();
  app.add_option("--retention-hour-ms", options.retention_hour_ms,
                 "Length of one hour of a stream's retention period; shorten it only for tests "
                 "and demos, where 24 hours of retention then pass in seconds")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--segment-size", options.segment_size, "Bytes per log segment before rolling")
      ->capture_default_str();
  app.add_option("--shard-write-records", options.shard_write_limits.records_per_second,
                 "Records per second one shard accepts; more get ProvisionedThroughputExceeded"
                 "Exception (AWS: 1000; 0: no limit)")
      ->capture_default_str();
  app.add_option("--shard-write-bytes", options.shard_write_limits.bytes_per_second,
                 "Bytes (data + key) per second one shard accepts (AWS: 1048576; 0: no limit)")
      ->capture_default_str();
  app.add_option("--read-timeout-ms", read_timeout_ms,
                 "Close a connection whose request, once begun, has not fully arrived after this "
                 "long")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", idle_timeout_ms,
                 "Close a keep-alive connection that sends no new request for this long")
      ->capture_default_str();
  app.add_option("--max-connections", net_options.max_connections,
                 "Client connections served at once; at the limit a new connection closes the "
                 "one idle the longest, or is closed itself when none is idle")
      ->capture_default_str();
  app.add_option("--max-inflight-bytes", net_options.memory.request_bytes,
                 "Request bodies held in memory at once, server-wide (HTTP/1.1 and HTTP/2 "
                 "alike): reserved when a request's header arrives, before its body is read; a "
                 "request that does not fit is answered 503 ServiceUnavailable (0: no limit)")
      ->capture_default_str();
  app.add_option("--max-response-bytes", net_options.memory.response_bytes,
                 "Answers held in memory for readers that have not taken them yet, "
                 "server-wide; GetRecords reads less, or answers 503, when it is short "
                 "(0: no limit)")
      ->capture_default_str();
  app.add_option("--max-subscriber-bytes", net_options.memory.subscriber_bytes,
                 "Messages queued to push subscribers (WebSocket and SubscribeToShard), "
                 "server-wide, beside each subscriber's --subscriber-buffer-bytes; live "
                 "subscribers holding more than their share when it is spent are closed "
                 "(1008) after --subscriber-lag-ms (0: no limit)")
      ->capture_default_str();
  app.add_option("--admission-slots", net_options.admission.max_active,
                 "Kinesis requests in progress at once (from their body's first byte to their "
                 "hand-off to the commit); more wait for their turn, their bodies unread")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  std::int64_t admission_target_ms = net_options.admission.target.count();
  app.add_option("--admission-target-ms", admission_target_ms,
                 "Overload: when every Kinesis request of a whole interval waited longer than "
                 "this for its turn, the queue serves the newest first and sheds waits beyond "
                 "--admission-overload-wait-ms with 503")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{60'000}))
      ->capture_default_str();
  std::int64_t admission_max_wait_ms = net_options.admission.max_wait.count();
  app.add_option("--admission-max-wait-ms", admission_max_wait_ms,
                 "The longest a Kinesis request waits for its turn when the server is not "
                 "overloaded; longer waits are answered 503")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{600'000}))
      ->capture_default_str();
  std::int64_t admission_overload_wait_ms = net_options.admission.overload_wait.count();
  app.add_option("--admission-overload-wait-ms", admission_overload_wait_ms,
                 "The longest a Kinesis request waits for its turn while the server is "
                 "overloaded")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{600'000}))
      ->capture_default_str();
  app.add_option("--consumer-ms", options.consumer_ms,
                 "Time a registered consumer stays CREATING, and a deregistered one DELETING")
      ->capture_default_str();
  std::int64_t subscription_ms = 300'000;
  app.add_option("--subscription-ms", subscription_ms,
                 "How long a SubscribeToShard subscription pushes before it ends (AWS: 300000)")
      ->capture_default_str();
  std::int64_t heartbeat_ms = 5'000;
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "A SubscribeToShard subscription sends an event at least this often when idle")
      ->capture_default_str();
  std::size_t subscriber_buffer = net_options.limits.subscribers.buffer_bytes;
  app.add_option("--subscriber-buffer-bytes", subscriber_buffer,
                 "Bytes queued for one WebSocket subscriber; a subscriber that stays this far "
                 "behind the live end for --subscriber-lag-ms is closed (1008)")
      ->capture_default_str();
  std::int64_t push_write_timeout_ms = net_options.limits.push_write_timeout.count();
  app.add_option("--push-write-timeout-ms", push_write_timeout_ms,
                 "Cut off a SubscribeToShard reader that takes nothing for this long (its "
                 "HTTP/1.1 writes stall, or its HTTP/2 window stays shut)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
      ->capture_default_str();
  std::int64_t subscriber_lag_ms = net_options.limits.subscribers.lag_grace.count();
  app.add_option("--subscriber-lag-ms", subscriber_lag_ms,
                 "How long a WebSocket subscriber may stay a full buffer behind")
      ->capture_default_str();
  app.add_option("--log-level", level,
                 "What goes to stderr: error, warn, info (start and stop) or debug (also one line "
                 "per request)")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  std::string auth = "none";
  app.add_option("--auth", auth,
                 "Request authentication: none (accept unsigned requests; local development) or "
                 "sigv4 (every Kinesis request and WebSocket subscription must carry an AWS "
                 "Signature Version 4 by a key in --credentials, scoped to --region and service "
                 "kinesis, within --auth-max-skew-s of the server's clock; /healthz stays open, "
                 "and /metrics unless --metrics-auth)")
      ->check(CLI::IsMember({"none", "sigv4"}))
      ->capture_default_str();
  std::int64_t auth_max_skew_s = 900;
  app.add_option("--auth-max-skew-s", auth_max_skew_s,
                 "With --auth sigv4: how far a request's X-Amz-Date may be from the server's "
                 "clock, either way (default 15 minutes; AWS Kinesis itself allows 300)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_flag("--metrics-auth", net_options.metrics_auth,
               "With --auth sigv4: GET /metrics (which names streams) must be signed too "
               "(/healthz stays open)");
  std::string credentials_file;
  app.add_option("--credentials", credentials_file,
                 "With --auth sigv4: file of accepted keys, one 'ACCESS_KEY_ID SECRET_ACCESS_KEY' "
                 "pair a line (separated by spaces or tabs; blank lines and lines starting with "
                 "'#' are ignored)");
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  app.add_option("--tls-cert", tls_cert,
                 "PEM certificate chain: the port then also accepts TLS (ALPN h2 or http/1.1), "
                 "beside plain HTTP/1.1 and h2c");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  app.add_flag("--tls-self-signed", tls_self_signed,
               "Serve TLS with a self-signed certificate for localhost, made once in "
               "<data-dir>/tls/ (self-signed.crt is what clients should trust)");
  std::string dashboard;
  app.add_option("--dashboard", dashboard,
                 "The web dashboard at http://HOST:PORT/: on, read-only (pages and numbers, no "
                 "actions), or off (default: on when listening on loopback or with --auth "
                 "sigv4, read-only otherwise)")
      ->check(CLI::IsMember({"on", "read-only", "off"}));
  std::vector<std::string> allow_origins;
  app.add_option("--allow-origin", allow_origins,
                 "A web origin (scheme://host[:port]) whose pages may use the dashboard, "
                 "subscribe over WebSocket and call the Kinesis API (CORS); repeat for more; * "
                 "allows every origin")
      ->take_all();
  std::string config_path;
  app.add_option("--config", config_path,
                 "Read settings from this TOML file: each key a long flag without its dashes "
                 "(port = 4567, data-dir = \"/var/lib/spate\"); flags given here win over the "
                 "file; an unknown key is an error");
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "Print the effective configuration (flags, file and defaults) as TOML that "
               "--config reads, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!config_path.empty()) {
    auto read = spate::app::read_config(config_path, app);
    if (auto* error = std::get_if<std::string>(&read)) {
      fmt::print(stderr, "spated: {}\n", *error);
      return 2;
    }
    const auto& settings = std::get<spate::app::config_settings>(read);
    // Parsed again with the file's settings first; CLI11 reads a vector from its back.
    std::vector<std::string> arguments;
    for (int i = argc - 1; i >= 1; --i) arguments.emplace_back(argv[i]);
    arguments.insert(arguments.end(), settings.arguments.rbegin(), settings.arguments.rend());
    try {
      app.parse(arguments);
    } catch (const CLI::ParseError& e) {
      fmt::print(stderr, "spated: {}\n",
                 spate::app::explain_error(config_path, settings, e.what()));
      return e.get_exit_code();
    }
  }

  log::init(level);
  server::memory_trimmer::tune_allocator();
  if (auth == "sigv4") {
    if (credentials_file.empty()) {
      log::error("--auth sigv4 needs --credentials FILE (one 'ACCESS_KEY_ID SECRET' a line)");
      return 1;
    }
    // Secret keys readable by others are as good as published.
    if (struct stat st{}; ::stat(credentials_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      log::warn("--credentials {} is readable by {} (mode {:03o}): chmod 600 it", credentials_file,
                (st.st_mode & 007) != 0 ? "others" : "its group", st.st_mode & 0777);
    }
    auto keys = server::credential_store::load(credentials_file);
    if (auto* message = std::get_if<std::string>(&keys)) {
      log::error("--auth sigv4: {}", *message);
      return 1;
    }
    server::sigv4_options sigv4;
    sigv4.region = options.region;
    sigv4.max_skew = std::chrono::seconds(auth_max_skew_s);
    log::info("authenticating requests with SigV4 ({} keys from {}, region {})",
              std::get<server::credential_store>(keys).size(), credentials_file, sigv4.region);
    net_options.auth = std::make_shared<const server::sigv4_verifier>(
        std::move(std::get<server::credential_store>(keys)), std::move(sigv4));
  } else if (!credentials_file.empty()) {
    log::warn("--credentials {} is ignored: --auth is none", credentials_file);
  }
  if (net_options.metrics_auth && !net_options.auth) {
    log::error("--metrics-auth needs --auth sigv4 (there are no keys to check /metrics against)");
    return 1;
  }
  options.fsync = *storage::parse_fsync_policy(fsync);
  options.sync_whole_volume = group_sync == "volume";
  {
    auto origins = server::origin_policy::make(allow_origins);
    if (auto* message = std::get_if<std::string>(&origins)) {
      log::error("{}", *message);
      return 1;
    }
    net_options.origins = std::move(std::get<server::origin_policy>(origins));
  }
  boost::system::error_code address_error;
  const bool loopback =
      net_options.host == "localhost" ||
      boost::asio::ip::make_address(net_options.host, address_error).is_loopback();
  net_options.dashboard = dashboard.empty()
                              ? (loopback || net_options.auth ? server::dashboard_mode::on
                                                              : server::dashboard_mode::read_only)
                              : *server::parse_dashboard_mode(dashboard);
  if (print_config) {
    fmt::print("{}",
               spate::app::render_config(
                   app, {{"dashboard", std::string(server::to_string(net_options.dashboard))}}));
    return 0;
  }
  raise_descriptor_limit();
  net_options.limits.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  net_options.limits.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  net_options.limits.subscribers.buffer_bytes = subscriber_buffer;
  net_options.limits.subscribers.lag_grace = std::chrono::milliseconds(subscriber_lag_ms);
  net_options.limits.push_write_timeout = std::chrono::milliseconds(push_write_timeout_ms);
  net_options.admission.target = std::chrono::milliseconds(admission_target_ms);
  net_options.admission.max_wait = std::chrono::milliseconds(admission_max_wait_ms);
  net_options.admission.overload_wait = std::chrono::milliseconds(admission_overload_wait_ms);
  net_options.push.subscription_lifetime = std::chrono::milliseconds(subscription_ms);
  net_options.push.heartbeat = std::chrono::milliseconds(heartbeat_ms);

  // Listening comes first: a server that cannot listen (the port is taken) exits before it
  // touches the data directory. Then the directory's lock, before anything inside it.
  auto listener = server::server::open_listener(net_options.host, net_options.port);
  if (!listener) {
    log::error("cannot listen on {}:{}: {}", net_options.host, net_options.port,
               listener.error().message());
    return 1;
  }
  net_options.listener = *listener;
  auto lock = directory_lock::acquire(options.data_dir);
  if (auto* refused = std::get_if<std::string>(&lock)) {
    log::error("{}", *refused);
    return 1;
  }
  auto engine = engine::engine::open(options);
  if (!engine) {
    log::error("cannot open data directory {}: {}", options.data_dir, engine.error().message());
    if (engine.error() == metadata::errc::schema_too_new) {
      log::error("spated {} reads catalog schemas 1 to {}; run the newer spated that wrote it, or "
                 "restore a backup taken with this version (nothing was changed)",
                 spate::version, metadata::catalog_schema_version);
    }
    return 1;
  }
  // Shutdown order: the server drains its sessions, then the control thread finishes, then
  // the engine closes (syncing every log and completing queued commits, whose replies land in
  // the stopped but still existing io_contexts), and only then is the server destroyed.
  if (tls_self_signed && (!tls_cert.empty() || !tls_key.empty())) {
    log::error("--tls-self-signed and --tls-cert/--tls-key exclude each other");
    return 1;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    log::error("TLS needs both --tls-cert and --tls-key");
    return 1;
  }
  net_options.tls.cert_file = tls_cert;
  net_options.tls.key_file = tls_key;
  if (tls_self_signed) net_options.tls.self_signed_dir = options.data_dir + "/tls";
  std::unique_ptr<server::server> srv;
  try {
    srv = std::make_unique<server::server>(net_options, **engine);
  } catch (const std::runtime_error& e) {
    log::error("{}", e.what());
    return 1;
  }
  if (auto listening = srv->listen(); !listening) {
    log::error("cannot listen on {}:{}: {}", net_options.host, net_options.port,
               listening.error().message());
    return 1;
  }
  // One line per fact an operator needs, in this order.
  log::info("spated {} (commit {})", spate::version, spate::commit);
  log::info("listening on {}:{}: HTTP/1.1 and h2c{}; {} I/O threads", net_options.host, srv->port(),
            srv->tls() ? ", and TLS with h2 or HTTP/1.1 by ALPN" : "", srv->threads());
  if (struct statvfs disk{}; ::statvfs(options.data_dir.c_str(), &disk) == 0) {
    log::info("data directory {} ({:.1f} GiB free)", options.data_dir,
              static_cast<double>(disk.f_bavail) * static_cast<double>(disk.f_frsize) /
                  (1024.0 * 1024.0 * 1024.0));
  } else {
    log::info("data directory {}", options.data_dir);
  }
  log::info("fsync {}{}", fsync, options.fsync == storage::fsync_policy::batch
                                     ? fmt::format(", group sync by {}", group_sync)
                                     : std::string());
  log::info("auth {}", net_options.auth ? "sigv4 (every request and subscription is signed)"
                                        : "none (unsigned requests are accepted)");
  if (net_options.dashboard == server::dashboard_mode::off) {
    log::info("dashboard off");
  } else {
    log::info("dashboard ({}): http://{}:{}/ {}", server::to_string(net_options.dashboard),
              net_options.host, srv->port(),
              net_options.auth ? "behind a login with a key from --credentials"
                               : "open to anyone who can reach this address (no --auth)");
  }
  if (!srv->self_signed_certificate().empty()) {
    log::info("TLS certificate to trust: {}", srv->self_signed_certificate());
  }
  // systemd's Type=notify: ready once listening and the engine is open (a no-op elsewhere).
  sd_notifyf(0, "READY=1\nSTATUS=serving on %s:%u\nMAINPID=%lu", net_options.host.c_str(),
             static_cast<unsigned>(srv->port()), static_cast<unsigned long>(::getpid()));
  srv->run();
  sd_notify(0, "STOPPING=1");
  srv->join_control();
  (*engine)->close();
  engine->reset();
  srv.reset();
  log::info("stopped cleanly");
  return 0;
}
