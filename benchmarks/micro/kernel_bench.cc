// Kernel cost benchmarks (make bench reads them as part of its machine probe): what this
// machine charges for the two things a server's CPU time is made of besides its own code, a
// system call and a switch from one thread to another. On a virtual machine both can cost ten
// or more times what they cost on bare metal, and they change from hour to hour with the host
// while arithmetic does not: a fan-out burst (one send per subscriber) or an idle server woken
// by every request pays them far more than it pays for computing.
//   BM_SystemCall         getppid(2) through syscall(2), which the C library cannot cache
//   BM_SwitchRoundTrip    two threads on one CPU hand a byte back and forth through two pipes:
//                         each round trip is two context switches and four system calls
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>

namespace {

void BM_SystemCall(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_getppid));
}
BENCHMARK(BM_SystemCall);

// A pipe that closes both ends when it goes.
struct pipe_pair {
  std::array<int, 2> fd{-1, -1};
  pipe_pair() {
    if (::pipe(fd.data()) != 0) fd = {-1, -1};
  }
  ~pipe_pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  bool ok() const { return fd[0] >= 0; }
  int read_end() const { return fd[0]; }
  int write_end() const { return fd[1]; }
};

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
}

// The partner echoes every byte until the ping pipe closes, then closes the pong pipe. Both threads sit on the CPU the
// benchmark started on, so each hand-over is a switch on that CPU, not a wake-up of another.
void BM_SwitchRoundTrip(benchmark::State& state) {
  const int cpu = ::sched_getcpu();
  cpu_set_t before;
  const bool saved = ::pthread_getaffinity_np(::pthread_self(), sizeof before, &before) == 0;
  pipe_pair ping, pong;
  if (cpu < 0 || !saved || !ping.ok() || !pong.ok() || !pin_to(cpu)) {
    state.SkipWithError("could not set up two pipes on one CPU");
    return;
  }
  std::atomic<bool> partner_pinned{true};
  std::thread partner([&] {
    if (!pin_to(cpu)) {  // two CPUs would time wake-ups across them, not switches on one
      partner_pinned = false;
      ::close(pong.fd[1]);
      pong.fd[1] = -1;
      return;
    }
    char byte = 0;
    while (::read(ping.read_end(), &byte, 1) == 1) {
      if (::write(pong.write_end(), &byte, 1) != 1) break;
    }
    ::close(pong.fd[1]);  // a reader left waiting reads end of file
    pong.fd[1] = -1;
  });
  char byte = 'x';
  bool answered = true;
  for (auto _ : state) {
    if (::write(ping.write_end(), &byte, 1) != 1 || ::read(pong.read_end(), &byte, 1) != 1) {
      answered = false;
      break;
    }
  }
  ::close(ping.fd[1]);  // the partner reads end of file and returns
  ping.fd[1] = -1;
  partner.join();
  ::pthread_setaffinity_np(::pthread_self(), sizeof before, &before);
  if (!partner_pinned) {
    state.SkipWithError("could not pin the partner thread to the same CPU");
  } else if (!answered) {
    state.SkipWithError("the partner thread stopped answering");
  }
}
BENCHMARK(BM_SwitchRoundTrip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
