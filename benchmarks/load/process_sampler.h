// process_sampler: what the server process and spate-bench itself cost while a run is measured.
// Reads /proc/PID/status (VmHWM: the kernel's peak resident set since the process started;
// VmRSS: now) and /proc/PID/stat (user + system CPU time), and getrusage for the benchmark's
// own CPU time. A background thread samples VmRSS every 100 ms so a peak is seen even for a
// process that reset its high-water mark; stop() joins it.
//
// Thread safety: start() and stop() from one thread; the figures are read after stop().
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace spate::bench {

// VmHWM and VmRSS of a process in KiB; nullopt when it has gone or /proc cannot be read.
struct memory_figures {
  std::uint64_t peak_kib = 0;
  std::uint64_t current_kib = 0;
};

inline std::optional<memory_figures> read_memory(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  memory_figures out;
  bool seen = false;
  for (std::string line; std::getline(status, line);) {
    auto field = [&](const char* name, std::uint64_t& value) {
      if (line.rfind(name, 0) != 0) return;
      value = std::stoull(line.substr(std::char_traits<char>::length(name)));
      seen = true;
    };
    field("VmHWM:", out.peak_kib);
    field("VmRSS:", out.current_kib);
  }
  if (!seen) return std::nullopt;
  return out;
}

// User plus system CPU seconds a process has used so far, all threads.
inline std::optional<double> read_cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!stat || !std::getline(stat, text)) return std::nullopt;
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3 to 13
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

class process_sampler {
 public:
  // pid 0: measure only spate-bench itself.
  explicit process_sampler(int pid) : pid_(pid) {}
  process_sampler(const process_sampler&) = delete;
  process_sampler& operator=(const process_sampler&) = delete;
  ~process_sampler() { stop(); }

  void start() {
    server_cpu_start_ = pid_ ? read_cpu_seconds(pid_) : std::nullopt;
    own_cpu_start_ = own_cpu_seconds();
    started_ = std::chrono::steady_clock::now();
    if (pid_ == 0) return;
    if (auto m = read_memory(pid_)) rss_start_kib_ = m->current_kib;
    sampler_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        if (auto m = read_memory(pid_)) {
          max_rss_kib_ = std::max(max_rss_kib_, m->current_kib);
          peak_kib_ = std::max(peak_kib_, m->peak_kib);
        }
        wake_.wait_for(lock, std::chrono::milliseconds(100));
      }
    });
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    own_cores_ = wall > 0 ? (own_cpu_seconds() - own_cpu_start_) / wall : 0;
    if (pid_ == 0) return;
    if (auto cpu = read_cpu_seconds(pid_); cpu && server_cpu_start_ && wall > 0) {
      server_cpu_seconds_ = *cpu - *server_cpu_start_;
      server_cores_ = server_cpu_seconds_ / wall;
    }
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (sampler_.joinable()) sampler_.join();
    if (auto m = read_memory(pid_)) {
      peak_kib_ = std::max({peak_kib_, m->peak_kib, max_rss_kib_});
      rss_end_kib_ = m->current_kib;
    }
  }

  bool has_server() const { return pid_ != 0 && peak_kib_ != 0; }
  std::uint64_t server_peak_kib() const { return peak_kib_; }
  std::uint64_t server_rss_start_kib() const { return rss_start_kib_; }
  std::uint64_t server_rss_end_kib() const { return rss_end_kib_; }
  // CPU cores busy on average between start() and stop(); -1 when unknown.
  double server_cores() const { return server_cores_; }
  // CPU seconds the server used between start() and stop(); -1 when unknown.
  double server_cpu_seconds() const { return server_cpu_seconds_; }
  double own_cores() const { return own_cores_; }

 private:
  int pid_;
  std::thread sampler_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool stopped_ = false;
  std::chrono::steady_clock::time_point started_;
  std::optional<double> server_cpu_start_;
  double own_cpu_start_ = 0;
  std::uint64_t peak_kib_ = 0;     // guarded by mutex_ while the sampler runs
  std::uint64_t max_rss_kib_ = 0;  // guarded by mutex_ while the sampler runs
  std::uint64_t rss_start_kib_ = 0;
  std::uint64_t rss_end_kib_ = 0;
  double server_cores_ = -1;
  double server_cpu_seconds_ = -1;
  double own_cores_ = 0;
};

}  // namespace spate::bench
