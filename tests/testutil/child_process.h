// child_process, spated_process, redis_process: real server processes for the client
// library's tests, each started on a free 127.0.0.1 port and stopped by PID when the object
// goes out of scope (SIGTERM, then SIGKILL after 10 s).
#pragma once

#include "testutil/temp_dir.h"

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace spate::testutil {

// A port nothing listens on right now (bound once to port 0 and released).
int free_loopback_port();

// True once a TCP connect to 127.0.0.1:port succeeds, polling for up to `timeout_ms`.
bool wait_for_port(int port, int timeout_ms);

class child_process {
 public:
  // argv[0] is the program path; stdout and stderr go to `log_path` (or are inherited if empty).
  explicit child_process(std::vector<std::string> argv, const std::string& log_path = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void kill9();  // SIGKILL and reap
  int stop();    // SIGTERM, wait (SIGKILL after 10 s); the exit status (128+signal if killed)

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

class spated_process {
 public:
  explicit spated_process(std::vector<std::string> extra_args = {});
  std::string endpoint() const;  // http://127.0.0.1:PORT
  int port() const { return port_; }
  child_process& process() { return *process_; }
  const std::string& data_dir() const { return data_.path(); }

 private:
  temp_dir data_;
  int port_ = 0;
  std::unique_ptr<child_process> process_;
};

class redis_process {
 public:
  redis_process();
  int port() const { return port_; }

 private:
  temp_dir dir_;
  int port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace spate::testutil
