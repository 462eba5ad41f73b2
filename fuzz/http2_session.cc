// http2_session: the server's h2c session (server::http2_session<session_stream>) fed the input
// as the raw bytes a client sends, over a real TCP connection on 127.0.0.1, with a real
// router, dispatcher and engine behind it, wired as server.cc wires them.
//
// The engine (on a temporary data directory, fsync never, so every put completes at once),
// the dispatcher, the router and the io_context are made once and kept across inputs; a
// stream "fuzz" of 2 shards exists from the start, so the seed requests reach the data path.
// Control-plane actions run on the same io_context instead of a control thread. Inputs that
// create, change or delete streams change that state for later inputs (bounded by a shard
// limit of 16); a reproducer replays against a fresh engine.
//
// Each input: the HTTP/2 client preface is put in front if the input does not begin with it;
// the client writes it all and reads whatever the session answers; once the session has been
// quiet (no handler ran for two 2 ms rounds) the client shuts down its sending side, and the
// run ends when the session has closed and been destroyed.
// Properties: nothing crashes, trips a sanitizer or leaks; the session consumes any input,
// answers, and goes away once its peer has gone (no hang: libFuzzer's -timeout catches one).
#include "server/http2_session.h"

#include "api/dispatcher.h"
#include "engine/engine.h"
#include "server/admission.h"
#include "server/budgets.h"
#include "server/idle_connections.h"
#include "server/metrics.h"
#include "server/net.h"
#include "server/router.h"

#include <spdlog/spdlog.h>

#include <array>
#include <csignal>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <pthread.h>
#include <string_view>

namespace {

using namespace spate;
using namespace std::chrono_literals;
namespace net = server::net;
using server::tcp;

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Everything kept across inputs. Never destroyed: the engine is closed and its directory
// removed at exit, while the io_context its late callbacks post to still exists.
struct world {
  std::string dir;
  std::unique_ptr<engine::engine> engine;
  server::budgets memory{server::budget_options{}};
  server::admission queue{server::admission_options{}};
  server::idle_connections idle;
  std::unique_ptr<server::metrics> stats;
  std::unique_ptr<api::dispatcher> dispatcher;
  std::unique_ptr<server::router> router;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  server::session_limits limits;
};

world* the_world = nullptr;

void close_world() {
  the_world->engine->close();
  std::error_code ec;
  std::filesystem::remove_all(the_world->dir, ec);
}

world& make_world() {
  spdlog::set_level(spdlog::level::off);
  auto* w = new world;
  char dir[] = "/tmp/spate-fuzz-h2-XXXXXX";
  if (!mkdtemp(dir)) std::abort();
  w->dir = dir;
  engine::engine_options options;
  options.data_dir = w->dir;
  options.fsync = storage::fsync_policy::never;
  options.shard_limit = 16;
  options.on_demand_stream_limit = 4;
  options.segment_size = 1u << 20;
  auto opened = engine::engine::open(options);
  if (!opened) {
    std::fprintf(stderr, "http2_session: cannot open an engine in %s\n", dir);
    std::abort();
  }
  w->engine = std::move(*opened);
  if (!w->engine->create_stream("fuzz", 2, metadata::stream_mode::provisioned, {})) std::abort();
  w->stats = std::make_unique<server::metrics>(
      api::dispatcher::action_names(),
      server::metrics_sources{w->engine.get(), &w->memory, &w->queue, &w->idle});
  w->dispatcher = std::make_unique<api::dispatcher>(
      *w->engine, *w->stats,
      [w](std::function<void()> task) { net::post(w->ioc, std::move(task)); }, api::push_limits{},
      &w->memory.responses);
  w->router = std::make_unique<server::router>(*w->dispatcher, *w->stats, w->memory, w->queue);
  w->acceptor.open(tcp::v4());
  w->acceptor.bind({net::ip::make_address_v4("127.0.0.1"), 0});
  w->acceptor.listen();
  // Timeouts short enough that no input waits on them for long.
  w->limits.read_timeout = 500ms;
  w->limits.idle_timeout = 1s;
  w->limits.push_write_timeout = 1s;
  the_world = w;
  std::atexit(close_world);
  return *w;
}

world& get_world() {
  static world& w = make_world();
  return w;
}

// libFuzzer checks for timeouts from a SIGALRM handler installed without SA_RESTART, so a
// blocking call the signal lands in fails with EINTR ("connect: Interrupted system call" ended
// a run once). The signal is held off across the blocking connect and accept, and delivered
// right after.
class alarm_held {
 public:
  alarm_held() {
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, &previous_);
  }
  ~alarm_held() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  alarm_held(const alarm_held&) = delete;
  alarm_held& operator=(const alarm_held&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  world& w = get_world();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string input;
  if (!bytes.starts_with(client_preface)) input = client_preface;
  input.append(bytes);

  tcp::socket client(w.ioc);
  server::session_socket accepted(w.ioc.get_executor());
  {
    alarm_held held;
    client.connect(w.acceptor.local_endpoint());
    w.acceptor.accept(accepted);
  }
  // Resets on close (no TIME_WAIT): a run makes thousands of connections.
  client.set_option(net::socket_base::linger(true, 0));

  std::weak_ptr<server::http2_session<server::session_stream>> session;
  {
    auto s = std::make_shared<server::http2_session<server::session_stream>>(
        server::session_stream(std::move(accepted)), *w.router, w.idle, w.limits);
    session = s;
    s->start();
  }

  bool written = false, read_done = false;
  net::async_write(client, net::buffer(input),
                   [&written](boost::system::error_code, std::size_t) { written = true; });
  std::array<char, 64 << 10> sink;
  std::function<void()> read_more = [&] {
    client.async_read_some(net::buffer(sink), [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        read_done = true;
        return;
      }
      read_more();
    });
  };
  read_more();

  int quiet_rounds = 0;
  bool shut = false;
  while (!read_done || !session.expired()) {
    const std::size_t ran = w.ioc.run_for(2ms);
    if (w.ioc.stopped()) w.ioc.restart();
    quiet_rounds = ran == 0 ? quiet_rounds + 1 : 0;
    if (!shut && written && quiet_rounds >= 2) {
      boost::system::error_code ec;
      client.shutdown(tcp::socket::shutdown_send, ec);
      shut = true;
    }
  }
  boost::system::error_code ec;
  client.close(ec);
  w.ioc.poll();
  if (w.ioc.stopped()) w.ioc.restart();
  return 0;
}
